"""The container's HEALTHCHECK: GET /healthz on the local gunicorn, exit 0 on 200.

Sent with the public host name (AUTHSERVER_URL) as Host, since the server answers only the
host names it serves; the port is AUTHSERVER_BIND's. Standard library only.
"""

import http.client
import os
import sys
from urllib.parse import urlsplit


def main() -> int:
    public = urlsplit(os.environ.get("AUTHSERVER_URL", "http://127.0.0.1:8000"))
    port = int(os.environ.get("AUTHSERVER_BIND", "127.0.0.1:8000").rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
    try:
        connection.request("GET", "/healthz", headers={"Host": public.netloc})
        return 0 if connection.getresponse().status == 200 else 1
    except OSError:
        return 1
    finally:
        connection.close()


if __name__ == "__main__":
    sys.exit(main())
