"""Grant types of our own, registered in server.py's table beside oauthlib's."""
