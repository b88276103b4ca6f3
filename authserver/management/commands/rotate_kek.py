"""Re-encrypt every stored private signing key under a new key-encryption key.

The new key comes from the environment (AUTHSERVER_NEW_KEY_ENCRYPTION_KEY, or
AUTHSERVER_NEW_KEY_ENCRYPTION_KEY_FILE for a mounted secret), never from the command line
(which other users of the machine can read). Without it, the configured
AUTHSERVER_KEY_ENCRYPTION_KEY is the target and what is still under one of
AUTHSERVER_KEY_ENCRYPTION_KEY_FALLBACKS is moved under it. Prints fingerprints, never a key.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from authserver import env
from authserver.keys import crypto, reencryption

NEW_KEY = "AUTHSERVER_NEW_KEY_ENCRYPTION_KEY"
# As for the key-encryption key itself: a random value, 256 bits at least.
_MIN_LENGTH = 32


class Command(BaseCommand):
    help = (
        f"Re-encrypt every realm's private signing keys, in one transaction, under the key in "
        f"{NEW_KEY} (or {NEW_KEY}_FILE); without it, under AUTHSERVER_KEY_ENCRYPTION_KEY "
        "whatever is still under one of AUTHSERVER_KEY_ENCRYPTION_KEY_FALLBACKS. The signing "
        "keys themselves do not change. Then configure the new key and restart every node "
        "(docs/deployment.md)."
    )

    def handle(self, *args, **options):
        try:
            new = env.secret(NEW_KEY)
        except env.ConfigurationError as error:
            raise CommandError(str(error)) from None
        readable = crypto.configured_secrets()
        if new:
            if len(new) < _MIN_LENGTH:
                raise CommandError(f"{NEW_KEY}: {_MIN_LENGTH} characters at least")
            if new == settings.AUTHSERVER_KEY_ENCRYPTION_KEY:
                raise CommandError(f"{NEW_KEY} is the key already configured")
        target = new or settings.AUTHSERVER_KEY_ENCRYPTION_KEY
        try:
            outcome = reencryption.reencrypt_all(target=target, readable=readable)
        except crypto.KeyDecryptionError as error:
            raise CommandError(f"{error}; nothing was changed") from None
        self.stdout.write(
            f"{outcome.reencrypted} signing key(s) re-encrypted under the key with fingerprint "
            f"{crypto.fingerprint(target)}; {outcome.already} already were; "
            f"{outcome.resealed} sealed secret(s) (authenticators, SMTP passwords, queued mail) "
            "moved with them"
        )
        if new:
            self.stdout.write(
                "now set AUTHSERVER_KEY_ENCRYPTION_KEY to the new key and restart every node; "
                "until they restart, a node configured with the old key cannot read a key it "
                "has not loaded yet (or keep the old key in "
                "AUTHSERVER_KEY_ENCRYPTION_KEY_FALLBACKS meanwhile)"
            )
