import sys

from django.core.management.base import CommandError

from accounts.models import Realm
from authserver.realmfile import reader, report
from authserver.realmfile.commands import RealmFileCommand
from authserver.realmfile.errors import RealmExistsError, RealmFileError, quote
from authserver.realmfile.importer import import_realm


class Command(RealmFileCommand):
    help = (
        "Import a realm from a Keycloak realm-representation JSON file ('-' for standard input). "
        "Nothing is imported unless all of it is."
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("file", help="the realm file, or - to read standard input")
        parser.add_argument(
            "--overwrite",
            action="store_true",
            help="replace the realm, with everything it owns, if it already exists",
        )
        parser.add_argument(
            "--skip-existing",
            action="store_true",
            help="do nothing (successfully) if the realm already exists",
        )

    def handle(self, *args, file, overwrite, skip_existing, **options):
        text = self._read(file, options.get("stdin") or sys.stdin)
        try:
            reading = reader.read(reader.parse(text))
        except RealmFileError as error:
            raise CommandError(str(error)) from None
        if reading.ignored:
            self.stderr.write(
                f"warning: ignored {len(reading.ignored)} unknown field(s), by kind:\n"
                + "".join(f"  {line}\n" for line in report.ignored_by_kind(reading.ignored)),
                ending="",
            )
        for note in reading.notes:
            self.stderr.write(f"warning: {note}")
        if skip_existing and Realm.objects.filter(name=reading.realm.name).exists():
            self.stdout.write(f"Realm {quote(reading.realm.name)} exists; left as it is.")
            return
        for weak in report.weak_secrets(reading.realm):
            self.stderr.write(f"warning: {weak}")
        try:
            realm = import_realm(reading.realm, overwrite=overwrite)
        except RealmExistsError as error:
            raise CommandError(f"{error}; use --overwrite to replace it") from None
        except RealmFileError as error:
            raise CommandError(str(error)) from None
        spec = reading.realm
        self.stdout.write(
            f"Imported realm {quote(realm.name)}: {len(spec.users)} user(s), "
            f"{len(spec.clients)} client(s), {len(spec.client_scopes)} declared client scope(s)."
        )
        for client, secret in report.new_secrets(spec):
            # On standard output only, never logged: this is the one time it is shown.
            self.stdout.write(f"New secret of {client} (shown once; store it now): {secret}")

    @staticmethod
    def _read(file: str, stdin) -> str:
        if file == "-":
            return stdin.read().removeprefix("\ufeff")
        try:
            with open(file, encoding="utf-8-sig") as handle:
                return handle.read()
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
            raise CommandError(f"cannot read {file}: {reason}") from None
