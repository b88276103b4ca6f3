"""Keycloak realm-representation files: read and check (reader), write in one transaction
(importer), and produce again (exporter). The subset of Keycloak's fields understood here, and
how each maps onto the models, is described in schema.py.
"""
