"""Users: unlocking after a brute-force lockout, a temporary password, disabling."""

import pytest
from django.utils import timezone

from accounts.models import Event, User
from tests.admin.helpers import form_data
from tests.factories import make_realm, make_user

pytestmark = pytest.mark.django_db


def test_it_unlocks_a_locked_out_user(console):
    realm = make_realm(brute_force_protected=True, failure_factor=3)
    locked = make_user(realm, "alice", failed_logins=5, last_failed_login=timezone.now())
    other = make_user(realm, "bob", failed_logins=1, last_failed_login=timezone.now())
    listed = console.get("/admin/accounts/user/", {"locked": "yes", "realm__id__exact": realm.pk})
    assert set(listed.context["cl"].result_list) == {locked, other}

    data = {"action": "unlock_users", "_selected_action": [locked.pk]}
    assert console.post("/admin/accounts/user/", data).status_code == 302
    locked.refresh_from_db()
    other.refresh_from_db()
    assert (locked.failed_logins, locked.last_failed_login) == (0, None)
    assert other.failed_logins == 1
    event = Event.objects.get(category="admin", type="ACTION", resource_type="USER")
    assert event.before["failed_logins"] == 5 and event.after["failed_logins"] == 0


def test_it_sets_a_temporary_password_and_disables(console):
    user = make_user(make_realm(), "alice")
    url = f"/admin/accounts/user/{user.pk}/change/"
    data = form_data(console.get(url), new_password="Brand-New-Pass-7", is_active=False)
    assert console.post(url, data).status_code == 302
    user = User.objects.get(pk=user.pk)
    assert user.check_password("Brand-New-Pass-7")
    assert user.password_temporary and not user.is_active
