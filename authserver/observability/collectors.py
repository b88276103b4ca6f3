"""Metrics read from the database when Prometheus scrapes, never while a request is served."""

from django.utils import timezone
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily

from authserver.keys.models import SigningKey


class SigningKeyAges:
    """The age of every signing key of every realm, and of the key each realm signs with (an
    alert on it says a rotation is due: docs/deployment.md)."""

    def collect(self):
        now = timezone.now()
        ages = GaugeMetricFamily(
            "authserver_signing_key_age_seconds",
            "Seconds since each signing key was created, by realm, kid and state.",
            labels=["realm", "kid", "state"],
        )
        signing = GaugeMetricFamily(
            "authserver_signing_key_active_seconds",
            "Seconds the realm's signing key has been signing.",
            labels=["realm"],
        )
        rows = SigningKey.objects.values_list("realm__name", "kid", "state", "created", "activated")
        for realm, kid, state, created, activated in rows:
            ages.add_metric([realm, kid, state], (now - created).total_seconds())
            if state == SigningKey.State.ACTIVE and activated is not None:
                signing.add_metric([realm], (now - activated).total_seconds())
        yield ages
        yield signing


def scrape_time_registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SigningKeyAges())
    return registry
