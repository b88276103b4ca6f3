"""Rotate a realm's signing key, stage the next one, or purge retired keys.

Prints each key's kid, algorithm and state; never private material.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import Realm
from accounts.realms import for_realm
from authserver.keys import rotation, store
from authserver.keys.models import SigningKey


class Command(BaseCommand):
    help = (
        "Rotate REALM's signing key (the newest staged key, or a new one, starts signing and the "
        "previous one is retired); with --stage, publish a new key without signing with it; "
        "with --purge, delete the retired keys of every realm whose tokens have expired."
    )

    def add_arguments(self, parser):
        parser.add_argument("realm", nargs="?", help="The realm's name.")
        action = parser.add_mutually_exclusive_group()
        action.add_argument(
            "--stage", action="store_true", help="Publish a new key; do not sign with it yet."
        )
        action.add_argument(
            "--purge", action="store_true", help="Delete retired keys past their time."
        )

    def handle(self, *args, realm=None, stage=False, purge=False, **options):
        if purge:
            if realm:
                raise CommandError("--purge applies to every realm: give no REALM")
            deleted = rotation.purge()
            self.stdout.write(f"purged {deleted} retired key(s)")
            return
        if not realm:
            raise CommandError("give a REALM, or --purge")
        try:
            target = Realm.objects.get(name=realm)
        except Realm.DoesNotExist:
            raise CommandError(f"no realm named {realm!r}") from None
        if stage:
            key = rotation.stage(target)
            self.stdout.write(f"staged {key.kid} in realm {target.name}")
        else:
            self._warn_if_recently_staged(target)
            key = rotation.rotate(target)
            self.stdout.write(f"rotated realm {target.name}: {key.kid} signs")
        for each in for_realm(SigningKey, target):
            self.stdout.write(self._describe(each))

    def _warn_if_recently_staged(self, realm):
        newest = (
            for_realm(SigningKey, realm)
            .filter(state=SigningKey.State.PUBLISHED, alg=realm.default_signature_algorithm)
            .order_by("-created", "-id")
            .first()
        )
        if newest is None:
            self.stderr.write(
                "warning: no staged key; clients holding a cached JWKS must fetch it again "
                "when they meet the new kid"
            )
        elif (timezone.now() - newest.created).total_seconds() < store.JWKS_MAX_AGE:
            self.stderr.write(
                f"warning: {newest.kid} was staged less than {store.JWKS_MAX_AGE} s ago; "
                "clients may still hold a JWKS without it"
            )

    @staticmethod
    def _describe(key) -> str:
        line = f"  {key.kid}  {key.alg}  {key.state}"
        if key.state == SigningKey.State.RETIRED:
            line += f"  published until {key.retire_after.isoformat()}"
        return line
