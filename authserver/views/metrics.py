"""GET /metrics: Prometheus' text format, to the addresses of AUTHSERVER_METRICS_ALLOW_IPS.

Not for the public: the gateway routes no /metrics, and the peer address is the one that
counts (a forwarded one could be anyone's). Every gunicorn worker's samples are added up
(observability/metrics.py); signing-key ages are read from the database now.
"""

import ipaddress

from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from authserver.observability import collectors, metrics


@require_GET
def metrics_view(request):
    allowed = settings.AUTHSERVER_METRICS_ALLOW_IPS
    if [entry.lower() for entry in allowed] == ["off"]:
        raise Http404
    if not _peer_allowed(request.META.get("REMOTE_ADDR", ""), allowed):
        return HttpResponse(
            "Forbidden: metrics are not served to this address.\n",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    body = generate_latest(metrics.registry()) + generate_latest(collectors.scrape_time_registry())
    response = HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response


def _peer_allowed(peer: str, allowed: list[str]) -> bool:
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(entry, strict=False) for entry in allowed)
