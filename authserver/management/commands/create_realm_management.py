from django.core.management.base import BaseCommand, CommandError

from accounts.models import Realm
from authserver.adminapi import realm_management


class Command(BaseCommand):
    help = (
        "Create the realm-management client and its admin roles (and the master realm's "
        "admin-cli) in realms made before they were created automatically (new realms get "
        "them on creation). Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("realms", nargs="*", help="realm names (default: every realm)")

    def handle(self, *args, realms, **options):
        found = Realm.objects.filter(name__in=realms) if realms else Realm.objects.all()
        missing = set(realms) - set(found.values_list("name", flat=True))
        if missing:
            raise CommandError(f"no such realm: {', '.join(sorted(missing))}")
        for realm in found:
            realm_management.ensure(realm)
            realm_management.ensure_admin_cli(realm)
            self.stdout.write(f"{realm.name}: realm-management ready")
