"""The signing-key ring of each realm: published -> active -> retired -> purged.

``store`` is the only reader of private keys; ``rotation`` is the only writer of key states.
"""
