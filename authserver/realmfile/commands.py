"""What the realm-file management commands share: failures as one ``error: ...`` line."""

import sys

from django.core.management.base import BaseCommand, CommandError


class RealmFileCommand(BaseCommand):
    """Reports a CommandError on the command line as ``error: <message>`` and exit status 1,
    never a traceback; called from code (``call_command``), it raises the CommandError."""

    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except CommandError as error:
            if not self._called_from_command_line or options.get("traceback"):
                raise
            self.stderr.write(f"error: {error}")
            sys.exit(error.returncode)
