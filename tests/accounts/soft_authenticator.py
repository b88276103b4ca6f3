"""A WebAuthn authenticator in software, for tests at the HTTP boundary: it answers the options
a page embeds as a browser's authenticator would (an ES256 key, "none" attestation), with the
flags a test chooses (user verified, backup eligible). The browser tests use Chromium's
virtual authenticator instead."""

import hashlib
import json
import os
import uuid

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

_UP, _UV, _BE, _BS, _AT = 0x01, 0x04, 0x08, 0x10, 0x40


def options_on(page: str) -> dict:
    """The WebAuthn options a page embeds for its script."""
    return json.loads(page.split('id="passkey-options" type="application/json">')[1].split("<")[0])


class SoftAuthenticator:
    def __init__(
        self,
        *,
        aaguid: str = "6e0f7a3c-1a2b-4c5d-8e9f-0a1b2c3d4e5f",
        user_verified: bool = True,
        backup_eligible: bool = False,
    ):
        self.aaguid = uuid.UUID(aaguid).bytes
        self.user_verified = user_verified
        self.backup_eligible = backup_eligible
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.sign_count = 0
        # What a discoverable credential keeps: the user handle it was registered with.
        self.user_handle: bytes | None = None

    @property
    def id(self) -> str:
        return bytes_to_base64url(self.credential_id)

    def cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,  # kty: EC2
                3: -7,  # alg: ES256
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def _authenticator_data(self, rp_id: str, *, attested: bool) -> bytes:
        flags = _UP | (_UV if self.user_verified else 0)
        if self.backup_eligible:
            flags |= _BE | _BS
        self.sign_count += 1
        data = hashlib.sha256(rp_id.encode()).digest() + bytes([flags | (_AT if attested else 0)])
        data += self.sign_count.to_bytes(4, "big")
        if attested:
            data += self.aaguid + len(self.credential_id).to_bytes(2, "big")
            data += self.credential_id + self.cose_key()
        return data

    @staticmethod
    def _client_data(kind: str, options: dict, origin: str) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": options["challenge"], "origin": origin}
        ).encode()

    def register(self, options: dict, origin: str) -> str:
        """navigator.credentials.create()'s answer, as passkeys.js posts it."""
        self.user_handle = base64url_to_bytes(options["user"]["id"])
        client_data = self._client_data("webauthn.create", options, origin)
        attestation = cbor2.dumps(
            {
                "fmt": "none",
                "attStmt": {},
                "authData": self._authenticator_data(options["rp"]["id"], attested=True),
            }
        )
        return json.dumps(
            {
                "id": self.id,
                "rawId": self.id,
                "type": "public-key",
                "clientExtensionResults": {},
                "response": {
                    "clientDataJSON": bytes_to_base64url(client_data),
                    "attestationObject": bytes_to_base64url(attestation),
                    "transports": ["usb"],
                },
            }
        )

    def get(self, options: dict, origin: str, *, user_handle: bytes | None = None) -> str:
        """navigator.credentials.get()'s answer, signed with the credential's key."""
        client_data = self._client_data("webauthn.get", options, origin)
        data = self._authenticator_data(options["rpId"], attested=False)
        signature = self.key.sign(
            data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        handle = user_handle if user_handle is not None else self.user_handle
        return json.dumps(
            {
                "id": self.id,
                "rawId": self.id,
                "type": "public-key",
                "clientExtensionResults": {},
                "response": {
                    "clientDataJSON": bytes_to_base64url(client_data),
                    "authenticatorData": bytes_to_base64url(data),
                    "signature": bytes_to_base64url(signature),
                    "userHandle": bytes_to_base64url(handle) if handle else None,
                },
            }
        )
