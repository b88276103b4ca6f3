"""gunicorn's access log, written cheaply: one line per request from a single f-string.

gunicorn's own ``Logger.access`` builds a dict of every atom its format language knows (every
request and response header, every environ key, a strftime) for each request and then runs the
full ``logging`` record machinery: about 0.1 ms of CPU per request, a tenth of a JWKS answer.
This logger writes the fields the deployment logs (deploy/gunicorn.conf.py) and nothing else::

    2026-05-09T07:35:25.123Z 10.0.0.7 "GET /healthz HTTP/1.1" 200 15 0.412ms

UTC time of the answer, remote address, request line as received (path and query), status,
bytes of body sent, and the time gunicorn spent on the request in milliseconds.
``access_log_format`` is not read. With ``AUTHSERVER_LOG_FORMAT=json`` each line is a JSON
object instead (``time``, ``level``, ``logger``, ``remote_addr``, ``request``, ``status``,
``bytes``, ``duration_ms`` and the answer's ``request_id``), and gunicorn's error log is
written as the application's JSON log is.

The query keeps every parameter's name but only the values of ``SHOWN_PARAMETERS``: the rest
become ``***``. A query carries codes, ``id_token_hint``, ``login_hint``, ``state`` and, in the
login page's ``next``, a whole authorization request; a log is read by more people, and kept
longer, than any of these may be. An allowlist, so that a parameter added later, or a name
spelt with percent-escapes, is hidden too.

The line still goes to the ``gunicorn.access`` logger's handlers, so ``accesslog`` (a file or
"-"), log reopening on USR1 and any logging configuration keep working: gunicorn's own
stream or file handler is written directly under its lock, any other handler (syslog, a
``logconfig_dict`` one) gets an ordinary log record.
"""

import json
import logging
import os
import time
import traceback

from gunicorn import glogging

# Values that identify what was asked for, never who asked or with what proof.
SHOWN_PARAMETERS = frozenset(
    {
        "client_id",
        "response_type",
        "response_mode",
        "scope",
        "redirect_uri",
        "post_logout_redirect_uri",
        "prompt",
        "max_age",
        "display",
        "ui_locales",
        "code_challenge_method",
        "error",
        # Paging of the admin API's and the console's lists.
        "first",
        "max",
        "briefRepresentation",
        "p",
        "o",
    }
)
REDACTED = "***"


class AccessLogger(glogging.Logger):
    """gunicorn ``logger_class``: the error log unchanged, a cheap fixed-format access log."""

    def setup(self, cfg):
        super().setup(cfg)
        self._enabled = _access_log_configured(cfg)
        self._json = os.environ.get("AUTHSERVER_LOG_FORMAT", "").strip().lower() == "json"
        if self._json:
            from authserver.observability.logs import JsonFormatter

            for handler in self.error_log.handlers:
                handler.setFormatter(JsonFormatter())
        # (whole second, its ISO-8601 text): one tuple, so threads never see a torn pair.
        self._second = (0, "")

    def exception(self, msg, *args, **kwargs):
        # gunicorn names the request target when the application raised ("Error handling
        # request %s %s"): its query is hidden as in the access log.
        args = tuple(redacted(arg) if isinstance(arg, str) else arg for arg in args)
        super().exception(msg, *args, **kwargs)

    def access(self, resp, req, environ, request_time):
        if not self._enabled:
            return
        log = self.access_log
        # False when the logger is disabled (dictConfig), below INFO, or logging.disable() ran.
        if not log.isEnabledFor(logging.INFO):
            return
        try:
            line = self._line(resp, environ, request_time)
            if log.filters or log.propagate:
                log.info("%s", line)
                return
            record = None
            for handler in log.handlers:
                if not _write_plain(handler, line):
                    if record is None:
                        record = log.makeRecord(log.name, logging.INFO, "", 0, line, None, None)
                    if record.levelno >= handler.level:
                        handler.handle(record)
        except Exception:
            # A log line must never cost a request its answer.
            self.error(traceback.format_exc())

    def _line(self, resp, environ, request_time) -> str:
        status = getattr(resp, "status", None)
        status = status.partition(" ")[0] if isinstance(status, str) else (status or "-")
        sent = getattr(resp, "sent", None)
        request = (
            f"{environ.get('REQUEST_METHOD', '-')} {redacted(environ.get('RAW_URI', '-'))} "
            f"{environ.get('SERVER_PROTOCOL', '-')}"
        )
        if '"' in request or "\\" in request or not request.isprintable():
            request = _escape(request)
        # A timedelta from the WSGI workers; the ASGI one passes its own seconds/microseconds pair.
        duration = request_time.seconds * 1000 + request_time.microseconds / 1000
        if self._json:
            return _json_line(self._now(), environ, request, status, sent, duration, resp)
        return (
            f"{self._now()} {environ.get('REMOTE_ADDR') or '-'} "
            f'"{request}" {status} {"-" if sent is None else sent} {duration:.3f}ms'
        )

    def _now(self) -> str:
        now = time.time()
        second = int(now)
        cached, text = self._second
        if second != cached:
            text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = (second, text)
        return f"{text}.{int((now - second) * 1000):03d}Z"


def _json_line(now, environ, request, status, sent, duration, resp) -> str:
    request_id = next(
        (value for name, value in getattr(resp, "headers", ()) if name.lower() == "x-request-id"),
        "",
    )
    return json.dumps(
        {
            "time": now,
            "level": "INFO",
            "logger": "gunicorn.access",
            "remote_addr": environ.get("REMOTE_ADDR") or "-",
            "request": request,
            "status": int(status) if str(status).isdigit() else status,
            "bytes": sent,
            "duration_ms": round(duration, 3),
            "request_id": request_id,
        }
    )


def redacted(target: str) -> str:
    """The request target with the values of parameters not in SHOWN_PARAMETERS hidden."""
    path, question_mark, query = target.partition("?")
    if not question_mark:
        return target
    return f"{path}?{'&'.join(_redacted_pair(pair) for pair in query.split('&'))}"


def _redacted_pair(pair: str) -> str:
    name, equals, value = pair.partition("=")
    if not value or name in SHOWN_PARAMETERS:
        return pair
    return f"{name}{equals}{REDACTED}"


def _access_log_configured(cfg) -> bool:
    """gunicorn's own test for "is there an access log at all" (glogging.Logger.access)."""
    return bool(
        cfg.accesslog
        or cfg.logconfig
        or cfg.logconfig_dict
        or getattr(cfg, "logconfig_json", None)
        or (cfg.syslog and not cfg.disable_redirect_access_to_syslog)
    )


_PLAIN_HANDLERS = (logging.StreamHandler, logging.FileHandler)


def _write_plain(handler: logging.Handler, line: str) -> bool:
    """Write ``line`` to gunicorn's own access handler as its "%(message)s" formatter would.

    Only for the handler gunicorn installed for ``accesslog`` (marked ``_gunicorn``, formatter
    ``Logger.access_fmt``), unfiltered and open; False leaves the line to ``handler.handle``.
    The handler's lock is the one ``reopen_files`` takes on USR1 to swap the file under it.
    """
    if (
        type(handler) not in _PLAIN_HANDLERS
        or not getattr(handler, "_gunicorn", False)
        or handler.filters
        or handler.level > logging.INFO
    ):
        return False
    handler.acquire()
    try:
        stream = handler.stream
        if stream is None:
            return False
        stream.write(line + handler.terminator)
        stream.flush()
    finally:
        handler.release()
    return True


def _escape(text: str) -> str:
    """Quotes, backslashes and control characters as backslash escapes: one line per request,
    and a request line cannot close its own quotes."""
    return text.encode("unicode_escape").decode("ascii").replace('"', '\\"')
