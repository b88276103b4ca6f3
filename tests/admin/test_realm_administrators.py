"""A realm administrator sees and touches only their realms: charlie administers alpha and must
meet nothing of bravo, in lists, searches, filters, pickers, autocomplete or typed URLs."""

import pytest
from django.contrib.auth.models import Permission

from accounts.models import ClientScope, Event, Group, Realm, Role, User, UserSession
from authserver.keys import rotation
from authserver.keys.models import SigningKey
from authserver.models import Client, Consent
from tests.admin.helpers import form_data
from tests.admin.test_sessions import make_session
from tests.factories import make_client, make_group, make_realm, make_role, make_scope, make_user

pytestmark = pytest.mark.django_db

MODELS = [Realm, User, Role, Group, ClientScope, UserSession, Event, Client, Consent, SigningKey]


def _url(model, suffix=""):
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/{suffix}"


def _objects_of(realm, prefix):
    role = make_role(realm, f"{prefix}-role")
    make_group(realm, f"{prefix}-group")
    make_scope(realm, f"{prefix}-scope")
    client = make_client(realm, f"{prefix}-client")
    user = make_user(realm, f"{prefix}-user")
    user.roles.add(role)
    session = make_session(user)
    Consent.objects.create(user=user, client=client, scopes="profile")
    Event.objects.create(realm=realm, category="user", type="LOGIN", username=f"{prefix}-user")
    rotation.rotate(realm)
    return {
        Realm: realm,
        User: user,
        Role: role,
        Group: Group.objects.get(realm=realm, name=f"{prefix}-group"),
        ClientScope: ClientScope.objects.get(realm=realm, name=f"{prefix}-scope"),
        UserSession: session,
        Event: Event.objects.filter(realm=realm).first(),
        Client: client,
        Consent: Consent.objects.get(user=user),
        SigningKey: SigningKey.objects.filter(realm=realm).first(),
    }


@pytest.fixture
def alpha():
    return make_realm("alpha")


@pytest.fixture
def bravo():
    return make_realm("bravo")


@pytest.fixture
def objects(alpha, bravo):
    return {"alpha": _objects_of(alpha, "alpha"), "bravo": _objects_of(bravo, "bravo")}


@pytest.fixture
def charlie(root, alpha):
    """A console user (master realm) who administers alpha, with every console permission."""
    user = make_user(None, "charlie", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label__in=["accounts", "authserver"])
    )
    user.administered_realms.add(alpha)
    return user


@pytest.fixture
def as_charlie(client, charlie):
    client.force_login(charlie)
    return client


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_it_lists_only_the_administered_realms_objects(as_charlie, objects, model):
    response = as_charlie.get(_url(model))
    assert response.status_code == 200
    shown = set(response.context["cl"].result_list)
    assert objects["alpha"][model] in shown
    assert not any(obj == objects["bravo"][model] for obj in shown)
    assert "bravo" not in response.content.decode()


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_it_answers_404_for_another_realms_object_by_url(as_charlie, objects, model):
    obj = objects["bravo"][model]
    for suffix in [f"{obj.pk}/change/", f"{obj.pk}/delete/", f"{obj.pk}/history/"]:
        assert as_charlie.get(_url(model, suffix)).status_code == 404, suffix
    assert as_charlie.get(_url(model, f"{objects['alpha'][model].pk}/change/")).status_code == 200


@pytest.mark.parametrize("model", [User, Role, Group, ClientScope, Client])
def test_it_finds_nothing_of_another_realm_by_search_or_filter(as_charlie, objects, bravo, model):
    searched = as_charlie.get(_url(model), {"q": "bravo"})
    assert list(searched.context["cl"].result_list) == []
    filtered = as_charlie.get(_url(model), {"realm__id__exact": bravo.pk})
    assert list(filtered.context["cl"].result_list) == []
    assert "bravo" not in filtered.content.decode()


def test_it_offers_only_administered_realms_in_filters_and_counts(as_charlie, objects, bravo):
    body = as_charlie.get(_url(User)).content.decode()
    assert f"realm__id__exact={bravo.pk}" not in body
    assert "bravo" not in body
    response = as_charlie.get(_url(User))
    assert (
        response.context["cl"].full_result_count == User.objects.filter(realm__name="alpha").count()
    )


@pytest.mark.parametrize(
    ("model", "field"),
    [
        (User, "roles"),
        (User, "realm_groups"),
        (Role, "client"),
        (Group, "parent"),
        (Client, "default_client_scopes"),
        (Client, "service_account"),
        (User, "realm"),
    ],
)
def test_it_autocompletes_only_the_administered_realms_objects(as_charlie, objects, model, field):
    response = as_charlie.get(
        "/admin/autocomplete/",
        {
            "app_label": model._meta.app_label,
            "model_name": model._meta.model_name,
            "field_name": field,
            "term": "",
        },
    )
    assert response.status_code == 200
    texts = [result["text"] for result in response.json()["results"]]
    assert texts, "alpha's objects are offered"
    assert not any("bravo" in text for text in texts)


def test_it_offers_only_administered_realms_on_an_add_page(as_charlie, objects):
    for model in [User, Role, Group, ClientScope, Client]:
        response = as_charlie.get(_url(model, "add/"))
        assert response.status_code == 200
        body = response.content.decode()
        assert "alpha" in body and "bravo" not in body, model


def test_it_refuses_a_crafted_post_into_another_realm(as_charlie, objects, bravo, alpha):
    response = as_charlie.post(_url(Role, "add/"), {"realm": bravo.pk, "name": "sneaky"})
    assert response.status_code == 200
    assert "realm" in response.context["adminform"].form.errors
    user = objects["alpha"][User]
    url = _url(User, f"{user.pk}/change/")
    data = form_data(as_charlie.get(url), roles=[objects["bravo"][Role].pk])
    response = as_charlie.post(url, data)
    assert response.status_code == 200
    assert "roles" in response.context["adminform"].form.errors
    assert not Role.objects.filter(name="sneaky").exists()


def test_it_lets_a_realm_administrator_neither_create_nor_delete_realms(as_charlie, alpha):
    assert as_charlie.get(_url(Realm, "add/")).status_code == 403
    assert as_charlie.get(_url(Realm, f"{alpha.pk}/delete/")).status_code == 403
    assert as_charlie.get(_url(Realm, f"{alpha.pk}/change/")).status_code == 200


def test_it_refuses_another_realms_export(as_charlie, objects, alpha, bravo):
    assert as_charlie.get(f"/admin/accounts/realm/{bravo.pk}/export/").status_code == 404
    assert as_charlie.get(f"/admin/accounts/realm/{alpha.pk}/export/").status_code == 200


def test_it_keeps_console_accounts_out_of_a_master_administrators_reach(client, root):
    helper = make_user(None, "helper", is_staff=True)
    helper.user_permissions.add(*Permission.objects.filter(codename__endswith="_user"))
    helper.administered_realms.add(root.realm)
    client.force_login(helper)
    assert client.get(_url(User, f"{root.pk}/change/")).status_code == 200  # view only
    response = client.post(_url(User, f"{root.pk}/change/"), {"username": "root2"})
    assert response.status_code == 403
    assert client.get(_url(User, f"{root.pk}/delete/")).status_code == 403


def test_it_shows_a_console_user_without_realms_nothing(client, objects):
    nobody = make_user(None, "nobody", is_staff=True)
    nobody.user_permissions.add(*Permission.objects.filter(codename__startswith="view_"))
    client.force_login(nobody)
    index = client.get("/admin/")
    assert index.status_code == 200
    assert index.context["app_list"] == [] or all(
        app["app_label"] not in ("accounts", "authserver") for app in index.context["app_list"]
    )
    assert client.get(_url(User)).status_code == 403
    assert client.get(_url(User, f"{objects['alpha'][User].pk}/change/")).status_code == 404


def test_it_reads_the_administered_realms_once_per_page(as_charlie, django_assert_max_num_queries):
    # Session, user, permissions (two), administered realms: every model admin on the index asks
    # whether charlie administers a realm, and is answered from that one query (it was 74).
    with django_assert_max_num_queries(5):
        response = as_charlie.get("/admin/")
    assert response.status_code == 200
    assert "Clients" in response.content.decode()
