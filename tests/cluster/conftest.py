"""One cluster (deploy/run-cluster.sh) for every test of this package: the gateway, two nodes,
the services and the token check, on PostgreSQL (a database of its own, dropped afterwards)
and a Redis database of its own, whichever database the rest of the suite runs on."""

import json

import pytest

from tests.cluster import cluster as running_cluster

# Debian's chromium, as the other browser tests drive it.
from tests.e2e.conftest import RelyingParty, browser  # noqa: F401

# What the gateway is configured with for these tests (docs/gateway.md).
ALLOWED_ORIGIN = "https://app.example"
TRUSTED_PROXY = "127.0.0.2"
# The token endpoint's limit, low enough to reach in a few requests: RATE/BURST.
TOKEN_RATE, TOKEN_BURST = 1, 10
USER = ("alice", "alice-Password1")
WEB_CLIENT = ("demo-web", "demo-web-secret")
SERVICE_CLIENT = ("orders-service", "orders-service-secret")


@pytest.fixture(scope="session")
def relying_party_of_the_cluster():
    party = RelyingParty()
    yield party
    party.close()


@pytest.fixture(scope="session")
def cluster(tmp_path_factory, relying_party_of_the_cluster):
    directory = tmp_path_factory.mktemp("cluster")
    realm = json.loads((running_cluster.ROOT / "deploy" / "demo-realm.json").read_text())
    web = next(client for client in realm["clients"] if client["clientId"] == WEB_CLIENT[0])
    party = relying_party_of_the_cluster
    web["redirectUris"] = [party.redirect_uri]
    web["attributes"]["direct.access.grants.enabled"] = "true"
    web["attributes"]["post.logout.redirect.uris"] = party.logout_redirect_uri
    realm_file = directory / "realm.json"
    realm_file.write_text(json.dumps(realm))
    with running_cluster.running(
        directory / "cluster",
        realm_file=realm_file,
        extra_env={
            "GATEWAY_CORS_ORIGINS": ALLOWED_ORIGIN,
            "GATEWAY_TRUSTED_PROXIES": TRUSTED_PROXY,
            "AUTHSERVER_RATE_TOKEN": f"{TOKEN_RATE}/{TOKEN_BURST}",
        },
    ) as started:
        yield started


@pytest.fixture(autouse=True)
def _full_rate_limit_buckets(request):
    if "cluster" in request.fixturenames:
        request.getfixturevalue("cluster").forget_rate_limits()


@pytest.fixture
def relying_party(relying_party_of_the_cluster):
    relying_party_of_the_cluster.landed.clear()
    return relying_party_of_the_cluster
