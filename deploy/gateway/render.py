#!/usr/bin/env python3
"""Render the gateway's nginx configuration from the environment:

    GATEWAY_DIR=/srv/gateway deploy/gateway/render.py     writes $GATEWAY_DIR/nginx.conf

then ``nginx -p $GATEWAY_DIR -c $GATEWAY_DIR/nginx.conf``. Standard library only; a missing or
malformed value fails here, naming the variable, rather than in nginx. docs/gateway.md lists
the variables and their defaults.
"""

import ipaddress
import os
import re
import string
import sys
from pathlib import Path
from urllib.parse import urlsplit

TEMPLATE = Path(__file__).with_name("nginx.conf.template")
INDENT = " " * 8


class _Template(string.Template):
    # nginx's own variables are $name: ours are @@{name}.
    delimiter = "@@"


class ConfigurationError(Exception):
    pass


def _get(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _required(name: str) -> str:
    value = _get(name)
    if not value:
        raise ConfigurationError(f"{name} is required")
    return value


def _list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in _get(name, default).split(",") if item.strip()]


_ADDRESS = re.compile(r"^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$")
_SIZE = re.compile(r"^\d+[kKmM]?$")
_TIME = re.compile(r"^\d+(ms|s|m)?$")


def _addresses(name: str, default: str = "") -> list[str]:
    found = _list(name, default)
    if not found:
        raise ConfigurationError(f"{name} names no HOST:PORT")
    for address in found:
        if not _ADDRESS.match(address):
            raise ConfigurationError(f"{name}: {address!r} is not HOST:PORT")
    return found


def _networks(name: str, default: str = "") -> list[str]:
    found = []
    for item in _list(name, default):
        try:
            found.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ConfigurationError(f"{name}: {item!r} is not an address or network") from None
    return found


def _matching(name: str, default: str, pattern: re.Pattern, what: str) -> str:
    value = _get(name, default)
    if not pattern.match(value):
        raise ConfigurationError(f"{name} must be {what}, not {value!r}")
    return value


def _origins(name: str) -> list[str]:
    found = []
    for value in _list(name):
        parts = urlsplit(value.rstrip("/"))
        if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path:
            raise ConfigurationError(f"{name}: {value!r} is not an origin")
        if '"' in value or "\\" in value:
            raise ConfigurationError(f"{name}: {value!r} is not an origin")
        found.append(f"{parts.scheme}://{parts.netloc}".lower())
    return found


def _file(name: str, default: str = "") -> str:
    value = _get(name, default)
    if not value:
        raise ConfigurationError(f"{name} is required")
    if not Path(value).is_file():
        raise ConfigurationError(f"{name}: no file at {value}")
    return str(Path(value).resolve())


def _servers(addresses: list[str], *, max_fails: str, fail_timeout: str) -> str:
    return "\n".join(
        f"{INDENT}server {address} max_fails={max_fails} fail_timeout={fail_timeout};"
        for address in addresses
    )


def _real_ip(trusted: list[str]) -> str:
    if not trusted:
        return "    # none (GATEWAY_TRUSTED_PROXIES): the peer's address is the client's"
    lines = [f"    set_real_ip_from {network};" for network in trusted]
    # The nearest address not among the trusted hops, reading X-Forwarded-For from the right.
    return "\n".join([*lines, "    real_ip_header X-Forwarded-For;", "    real_ip_recursive on;"])


def _api_blocks(api_max_body: str) -> tuple[str, str]:
    """What every API location carries: the check's answer kept for the refusal and the log,
    CORS, the request id, the body limit; and the headers the refusals share."""
    headers = "\n".join(
        f"{INDENT}    add_header {header} always;"
        for header in (
            "X-Request-ID $request_id_kept",
            "Access-Control-Allow-Origin $cors_origin",
            "Access-Control-Allow-Methods $cors_allow_methods",
            "Access-Control-Allow-Headers $cors_allow_headers",
            "Access-Control-Max-Age $cors_max_age",
            "Access-Control-Expose-Headers $cors_expose_headers",
            "Vary Origin",
            "Cache-Control no-store",
        )
    )
    kept = "\n".join(
        f"{INDENT}    auth_request_set ${variable} $upstream_http_{header};"
        for variable, header in (
            ("gateway_status", "x_gateway_status"),
            ("gateway_error", "x_gateway_error"),
            ("gateway_description", "x_gateway_error_description"),
            ("gateway_challenge", "www_authenticate"),
            ("gateway_retry_after", "retry_after"),
            ("gateway_client", "x_gateway_client"),
        )
    )
    location_headers = "\n".join(
        line for line in headers.splitlines() if "Cache-Control" not in line
    )
    api = f"""{kept}
{INDENT}    error_page 401 403 = @refused;
{INDENT}    error_page 500 = @check_failed;
{INDENT}    error_page 413 = @too_large;
{INDENT}    client_max_body_size {api_max_body};
{INDENT}    default_type application/json;
{INDENT}    # A preflight is answered here, before the check: it carries no token.
{INDENT}    if ($cors_preflight = allowed) {{
{INDENT}        return 204;
{INDENT}    }}
{INDENT}    if ($cors_preflight = refused) {{
{INDENT}        return 403 '{{"error":"forbidden","error_description":"origin not allowed"}}';
{INDENT}    }}
{INDENT}    # CORS is the gateway's: the service's own headers would say it twice.
{INDENT}    proxy_hide_header Access-Control-Allow-Origin;
{INDENT}    proxy_hide_header Access-Control-Expose-Headers;
{INDENT}    proxy_hide_header Vary;
{location_headers}"""
    return api, headers


def _client_certificates() -> str:
    """``optional``: ask each client for a certificate, any certificate (``optional_no_ca``: the
    authorization server and the services judge it); ``off``: ask for none."""
    mode = _matching(
        "GATEWAY_CLIENT_CERTIFICATES", "off", re.compile(r"^(off|optional)$"), "off or optional"
    )
    if mode == "off":
        return "# none asked for (GATEWAY_CLIENT_CERTIFICATES=off)"
    return "ssl_verify_client optional_no_ca;"


def values() -> dict[str, str]:
    directory = Path(_required("GATEWAY_DIR")).resolve()
    max_fails = _matching("GATEWAY_MAX_FAILS", "1", re.compile(r"^\d+$"), "a number")
    fail_timeout = _matching("GATEWAY_FAIL_TIMEOUT", "5s", _TIME, "a time (5s)")
    allowed = _networks("GATEWAY_ADMIN_ALLOW", "127.0.0.1, ::1")
    trusted = _networks("GATEWAY_TRUSTED_PROXIES")
    api, api_headers = _api_blocks(
        _matching("GATEWAY_API_MAX_BODY", "16k", _SIZE, "a size (16k, 1m)")
    )
    user = _get("GATEWAY_USER")
    access_log = _get("GATEWAY_ACCESS_LOG") or str(directory / "logs" / "access.log")
    access_log = "off" if access_log == "off" else f"{access_log} gateway"
    return {
        "dir": str(directory),
        "user": f"user {user};" if user else "",
        "workers": _matching("GATEWAY_WORKERS", "auto", re.compile(r"^(auto|\d+)$"), "auto or N"),
        "error_log": _get("GATEWAY_ERROR_LOG") or str(directory / "logs" / "error.log"),
        "access_log": access_log,
        "listen": _addresses("GATEWAY_LISTEN", "127.0.0.1:8443")[0],
        "server_name": _get("GATEWAY_SERVER_NAME", "_"),
        "tls_cert": _file("GATEWAY_TLS_CERT"),
        "tls_key": _file("GATEWAY_TLS_KEY"),
        "client_certificates": _client_certificates(),
        "upstream_cert": _file("GATEWAY_UPSTREAM_CERT", _get("GATEWAY_TLS_CERT")),
        "upstream_key": _file("GATEWAY_UPSTREAM_KEY", _get("GATEWAY_TLS_KEY")),
        "upstream_ca": _file("GATEWAY_UPSTREAM_CA"),
        "client_timeout": _matching("GATEWAY_CLIENT_TIMEOUT", "10s", _TIME, "a time (10s)"),
        "max_body": _matching("GATEWAY_MAX_BODY", "1m", _SIZE, "a size (16k, 1m)"),
        "admin_max_body": _matching("GATEWAY_ADMIN_MAX_BODY", "21m", _SIZE, "a size (21m)"),
        "max_fails": max_fails,
        "fail_timeout": fail_timeout,
        "authserver_servers": _servers(
            _addresses("GATEWAY_AUTHSERVER", "127.0.0.1:8000"),
            max_fails=max_fails,
            fail_timeout=fail_timeout,
        ),
        "orders_servers": _servers(
            _addresses("GATEWAY_ORDERS", "127.0.0.1:8001"),
            max_fails=max_fails,
            fail_timeout=fail_timeout,
        ),
        "payments_servers": _servers(
            _addresses("GATEWAY_PAYMENTS", "127.0.0.1:8002"),
            max_fails=max_fails,
            fail_timeout=fail_timeout,
        ),
        "tokencheck_servers": _servers(
            _addresses("GATEWAY_TOKENCHECK", "127.0.0.1:8003"),
            max_fails=max_fails,
            fail_timeout=fail_timeout,
        ),
        "real_ip": _real_ip(trusted),
        "admin_allow": "\n".join(
            [f"{INDENT}    allow {network};" for network in allowed] + [f"{INDENT}    deny all;"]
        ),
        "cors_origins": "\n".join(
            f'{INDENT}"{origin}" $http_origin;' for origin in _origins("GATEWAY_CORS_ORIGINS")
        ),
        "api": api,
        "api_headers": api_headers,
    }


def render() -> Path:
    rendered = _Template(TEMPLATE.read_text()).substitute(values())
    directory = Path(_required("GATEWAY_DIR")).resolve()
    for sub in ("logs", "temp"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    target = directory / "nginx.conf"
    target.write_text(rendered)
    return target


if __name__ == "__main__":
    try:
        print(render())
    except ConfigurationError as error:
        sys.exit(f"deploy/gateway/render.py: {error}")
