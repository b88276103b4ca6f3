"""The application log's fields and its two formats: ``plain`` (one line of text) and
``json`` (AUTHSERVER_LOG_FORMAT=json: one JSON object per line, for a log collector).

Every record carries the request's id, realm, client, user id and event (context.py), empty
outside a request. The JSON object holds only the fields named in ``JSON_FIELDS``: a record's
other attributes (Django attaches the whole request to its own) never reach the log, so no
query string, header or body can leak through them.
"""

import logging

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from authserver.observability import context, metrics

JSON_FIELDS = (
    "time",
    "level",
    "logger",
    "message",
    *context.FIELDS,
    "status_code",
    "exc_info",
)
PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class RequestContextFilter(logging.Filter):
    """Puts the current request's fields on each record a handler writes."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in context.fields().items():
            if not getattr(record, name, ""):
                setattr(record, name, value or "")
        return True


class JsonFormatter(_JsonFormatter):
    """python-json-logger's formatter: UTC ISO-8601 ``time``, ``level``, ``logger``,
    ``message`` and the request's fields; nothing else of the record."""

    def __init__(self, *args, **kwargs):
        super().__init__(
            ["levelname", "name", "message"],
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
        )

    def add_fields(self, log_record, record, message_dict):
        super().add_fields(log_record, record, message_dict)
        for name in list(log_record):
            if name not in JSON_FIELDS:
                del log_record[name]


class CountRedisErrors(logging.Filter):
    """On the loggers that report a Redis failure (django-redis's ignored exceptions, the rate
    limits turning themselves off): counts each, lets the record through unchanged."""

    def __init__(self, source: str = "cache"):
        super().__init__()
        self.source = source

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING and _about_redis(record):
            metrics.redis_errors.labels(self.source).inc()
        return True


def _about_redis(record: logging.LogRecord) -> bool:
    if record.name.startswith("django_redis"):
        return True
    return "Redis" in str(record.msg)
