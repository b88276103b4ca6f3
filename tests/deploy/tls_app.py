"""A WSGI application that only says it was reached, for the TLS tests."""


def application(environ, start_response):
    body = b"reached over " + environ["wsgi.url_scheme"].encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
