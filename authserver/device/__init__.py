"""The device authorization grant (RFC 8628): what a device was told, until the user decides."""
