"""The token check's settings, from the environment (docs/gateway.md lists them)."""

from dataclasses import dataclass, field

from resource_server import env

# Spring Cloud Gateway's reference configuration: 10 requests a second, 20 at once.
DEFAULT_REPLENISH = 10
DEFAULT_BURST = 20
DEFAULT_ROUTES = "orders=orders orders:read orders:write; payments=payments"


@dataclass(frozen=True)
class Route:
    """What a token must have to reach one service: its audience, and one of ``scopes``
    (none: any valid token for the audience)."""

    audience: str
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckConfig:
    issuer: str
    routes: dict[str, Route]
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    introspect: bool = False
    cache_seconds: float = 1
    leeway_seconds: float = 30
    rate_replenish: float = DEFAULT_REPLENISH
    rate_burst: int = DEFAULT_BURST
    redis_url: str = ""


def load() -> CheckConfig:
    config = CheckConfig(
        issuer=env.url("GATEWAY_ISSUER"),
        routes=routes(env.string("GATEWAY_ROUTES") or DEFAULT_ROUTES),
        client_id=env.string("GATEWAY_CLIENT_ID"),
        client_secret=env.secret("GATEWAY_CLIENT_SECRET"),
        introspect=env.boolean("GATEWAY_INTROSPECT", default=True),
        cache_seconds=env.number("GATEWAY_CHECK_CACHE_SECONDS", 1),
        leeway_seconds=env.number("GATEWAY_CLOCK_SKEW_SECONDS", 30),
        rate_replenish=env.number("GATEWAY_RATE_REPLENISH", DEFAULT_REPLENISH),
        rate_burst=env.integer("GATEWAY_RATE_BURST", DEFAULT_BURST, minimum=1),
        redis_url=env.string("REDIS_URL"),
    )
    if not config.issuer:
        raise env.ConfigurationError("the token check needs GATEWAY_ISSUER")
    if config.introspect and not (config.client_id and config.client_secret):
        raise env.ConfigurationError(
            "GATEWAY_INTROSPECT needs GATEWAY_CLIENT_ID and GATEWAY_CLIENT_SECRET (or set it to 0)"
        )
    return config


def routes(text: str) -> dict[str, Route]:
    """``NAME=AUDIENCE [SCOPE ...]; ...``: the check at /check/NAME wants a token for
    AUDIENCE carrying one of the SCOPEs (any, when none is named)."""
    found = {}
    for entry in (each.strip() for each in text.split(";")):
        if not entry:
            continue
        name, equals, rest = entry.partition("=")
        words = rest.split()
        if not equals or not name.strip().isidentifier() or not words:
            raise env.ConfigurationError(
                f"GATEWAY_ROUTES: {entry!r} is not NAME=AUDIENCE [SCOPE ...]"
            )
        found[name.strip()] = Route(audience=words[0], scopes=tuple(words[1:]))
    if not found:
        raise env.ConfigurationError("GATEWAY_ROUTES names no route")
    return found
