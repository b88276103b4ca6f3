"""WSGI entry point of the gateway's token check:
``gunicorn -c deploy/gunicorn.conf.py resource_server.tokencheck.wsgi`` (RS_BIND)."""

import logging
import os

from resource_server.tokencheck import config
from resource_server.tokencheck.app import TokenCheck

logging.basicConfig(
    level=os.environ.get("RS_LOG_LEVEL", "INFO").upper(),
    format="%(asctime)s %(levelname)s %(name)s %(message)s",
)
# Fail at startup, not at the first request, when the check cannot work.
application = TokenCheck(config.load())
