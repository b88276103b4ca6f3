import pytest
from django.test import override_settings

from authserver.keys import crypto
from authserver.keys.crypto import KeyDecryptionError


@pytest.mark.parametrize("alg, kty", [("RS256", "RSA"), ("ES256", "EC"), ("PS256", "RSA")])
def test_it_round_trips_a_private_key(alg, kty):
    key = crypto.generate(alg)
    assert (key["kty"], key["alg"], key["use"], key["kid"]) == (kty, alg, "sig", key.thumbprint())
    again = crypto.decrypt(crypto.encrypt(key), kid=key["kid"])
    assert again.export_private(as_dict=True) == key.export_private(as_dict=True)


def test_it_names_the_key_encryption_key_in_the_jwe_header():
    key = crypto.generate("ES256")
    first = crypto.encrypt(key)
    with override_settings(AUTHSERVER_KEY_ENCRYPTION_KEY="a-different-one"):
        second = crypto.encrypt(key)
    assert first.split(".")[0] != second.split(".")[0]
    with pytest.raises(KeyDecryptionError, match=f"signing key {key['kid']} cannot be decrypted"):
        crypto.decrypt(second, kid=key["kid"])


def test_it_refuses_a_damaged_ciphertext():
    key = crypto.generate("ES256")
    header, encrypted_key, iv, ciphertext, tag = crypto.encrypt(key).split(".")
    flipped = ("A" if tag[0] != "A" else "B") + tag[1:]
    with pytest.raises(KeyDecryptionError, match="damaged"):
        crypto.decrypt(".".join([header, encrypted_key, iv, ciphertext, flipped]), kid=key["kid"])
    with pytest.raises(KeyDecryptionError, match="malformed"):
        crypto.decrypt("not-a-jwe", kid=key["kid"])


def test_it_refuses_a_private_key_stored_under_another_kid():
    key, other = crypto.generate("ES256"), crypto.generate("ES256")
    with pytest.raises(KeyDecryptionError, match="another key"):
        crypto.decrypt(crypto.encrypt(other), kid=key["kid"])


def test_it_exports_only_public_members():
    key = crypto.generate("RS256")
    public = crypto.public_jwk(key)
    assert set(public) == {"kty", "n", "e", "kid", "alg", "use"}


def test_it_refuses_an_unsupported_algorithm():
    with pytest.raises(ValueError, match="HS256"):
        crypto.generate("HS256")
