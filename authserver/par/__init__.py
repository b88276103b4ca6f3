"""Pushed authorization requests (RFC 9126): what a client pushed, until its request URI is used."""
