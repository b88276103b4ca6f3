"""Enrol a console user's authenticator: a TOTP device, shown once as an otpauth URL and a QR
code in the terminal (its key is kept sealed: it is not shown again). Needed before a
superuser can log in when AUTHSERVER_CONSOLE_REQUIRE_MFA is on."""

import io

import qrcode
from django.core.management.base import BaseCommand, CommandError

from accounts import console_otp
from accounts.models import MASTER_REALM, ConsoleTOTPDevice, User


class Command(BaseCommand):
    help = "Enrol a TOTP authenticator for a console (master realm) user."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--replace", action="store_true", help="remove the user's existing TOTP devices first"
        )

    def handle(self, *args, username, replace, **options):
        try:
            user = User.objects.get(realm__name=MASTER_REALM, username=username)
        except User.DoesNotExist:
            raise CommandError(f"no console user {username!r} in the master realm") from None
        devices = ConsoleTOTPDevice.objects.filter(user=user)
        if devices.exists() and not replace:
            raise CommandError(f"{username} already has an authenticator; use --replace")
        devices.delete()
        device = console_otp.create(user)
        url = console_otp.config_url(device)
        code = qrcode.QRCode(border=1)
        code.add_data(url)
        out = io.StringIO()
        code.print_ascii(out=out, invert=True)
        self.stdout.write(out.getvalue())
        self.stdout.write(f"Scan it, or enter this URL in the authenticator:\n{url}")
