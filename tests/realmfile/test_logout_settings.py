"""Front- and back-channel logout in realm files, as Keycloak writes them: the client field
frontchannelLogout and the attributes frontchannel.logout.url,
frontchannel.logout.session.required, backchannel.logout.url and
backchannel.logout.session.required; read, imported, exported the same; a bad URL refused where
it is in the file."""

import pytest

from authserver.models import Client
from authserver.realmfile import reader
from authserver.realmfile.errors import RealmFileError
from authserver.realmfile.exporter import export_realm
from tests.realmfile.documents import load, small

pytestmark = pytest.mark.django_db

LOGOUT = {
    "frontchannel.logout.url": "https://app.example/frontchannel-logout",
    "frontchannel.logout.session.required": "false",
    "backchannel.logout.url": "https://app.example/backchannel-logout",
    "backchannel.logout.session.required": "true",
}


def with_logout(frontchannel: bool | None = True, **attributes) -> dict:
    document = small()
    app = document["clients"][0]
    if frontchannel is not None:
        app["frontchannelLogout"] = frontchannel
    app["attributes"] = LOGOUT | attributes
    return document


def test_it_imports_and_exports_the_logout_settings_as_keycloak_names_them():
    realm = load(with_logout())
    app = Client.objects.get(realm=realm, client_id="app")
    assert app.frontchannel_logout
    assert app.frontchannel_logout_url == "https://app.example/frontchannel-logout"
    assert not app.frontchannel_logout_session_required
    assert app.backchannel_logout_url == "https://app.example/backchannel-logout"
    assert app.backchannel_logout_session_required

    (exported,) = [c for c in export_realm(realm)["clients"] if c["clientId"] == "app"]

    assert exported["frontchannelLogout"] is True
    assert exported["attributes"] == LOGOUT
    assert reader.read(export_realm(realm)).ignored == ()


def test_a_front_channel_url_is_not_used_while_front_channel_logout_is_off():
    realm = load(with_logout(frontchannel=False))
    app = Client.objects.get(realm=realm, client_id="app")

    assert not app.frontchannel_logout and app.frontchannel_logout_url == ""
    assert app.attributes["frontchannel.logout.url"] == LOGOUT["frontchannel.logout.url"]
    (exported,) = [c for c in export_realm(realm)["clients"] if c["clientId"] == "app"]
    assert exported["frontchannelLogout"] is False


@pytest.mark.parametrize(
    "attribute", ["frontchannel.logout.url", "backchannel.logout.url"], ids=["front", "back"]
)
@pytest.mark.parametrize(
    "value",
    ["https://app.example/logout#top", "javascript:alert(1)", "/logout", "app.example", 5],
)
def test_it_refuses_a_logout_url_that_is_no_absolute_http_url(attribute, value):
    with pytest.raises(RealmFileError) as raised:
        reader.read(with_logout(**{attribute: value}))

    assert raised.value.path == f'clients[0].attributes["{attribute}"]'


def test_an_empty_logout_url_is_none():
    realm = load(with_logout(**{"frontchannel.logout.url": "", "backchannel.logout.url": ""}))
    app = Client.objects.get(realm=realm, client_id="app")

    assert app.frontchannel_logout_url == "" and app.backchannel_logout_url == ""
