from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from authserver.keys import store
from authserver.keys.models import SigningKey
from tests.factories import make_realm

pytestmark = pytest.mark.django_db


def rotate_keys(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("rotate_keys", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_rotates_and_prints_kids_and_states_but_no_private_member():
    realm = make_realm()
    old = store.signing_key(realm)
    out, _ = rotate_keys(realm.name)
    new = SigningKey.objects.get(realm=realm, state="active")
    assert f"{new.kid} signs" in out
    assert f"{new.kid}  RS256  active" in out
    assert f"{old['kid']}  RS256  retired  published until" in out
    for member in ("d", "p", "q", "dp", "dq", "qi"):
        assert old[member] not in out
    assert '"d"' not in out and "private" not in out.lower()
    assert store.signing_key(realm)["kid"] == new.kid


def test_it_stages_a_key_without_signing_with_it():
    realm = make_realm(default_signature_algorithm="ES256")
    signing = store.signing_key(realm)["kid"]
    out, _ = rotate_keys(realm.name, "--stage")
    staged = SigningKey.objects.get(realm=realm, state="published")
    assert f"staged {staged.kid}" in out and f"{staged.kid}  ES256  published" in out
    assert store.signing_key(realm)["kid"] == signing
    assert staged.kid in [key["kid"] for key in store.jwks(realm)["keys"]]


def test_it_warns_when_rotating_to_a_key_staged_moments_ago():
    realm = make_realm()
    store.signing_key(realm)
    rotate_keys(realm.name, "--stage")
    _, err = rotate_keys(realm.name)
    assert "staged less than 300 s ago" in err


def test_it_purges_expired_retired_keys():
    out, _ = rotate_keys("--purge")
    assert out.strip() == "purged 0 retired key(s)"


@pytest.mark.parametrize(
    "args, message",
    [
        (["nowhere"], "no realm named 'nowhere'"),
        ([], "give a REALM, or --purge"),
        (["master", "--purge"], "--purge applies to every realm"),
    ],
    ids=["unknown-realm", "no-realm", "purge-with-realm"],
)
def test_it_refuses_a_bad_invocation(args, message):
    with pytest.raises(CommandError, match=message):
        rotate_keys(*args)
