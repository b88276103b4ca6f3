from django.core.management.base import CommandError

from accounts.models import Realm
from authserver.realmfile.commands import RealmFileCommand
from authserver.realmfile.errors import quote
from authserver.realmfile.exporter import dumps, export_realm


class Command(RealmFileCommand):
    help = (
        "Print a realm as a Keycloak realm-representation JSON file that import_realm takes "
        "back. Passwords and client secrets are written as their stored hashes."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="the realm's name")

    def handle(self, *args, name, **options):
        try:
            realm = Realm.objects.get(name=name)
        except Realm.DoesNotExist:
            raise CommandError(f"realm {quote(name)} does not exist") from None
        self.stdout.write(dumps(export_realm(realm)))
