"""Enrol a console user's authenticator: a TOTP device, shown once as an otpauth URL and a QR
code in the terminal. Needed before a superuser can log in when
AUTHSERVER_CONSOLE_REQUIRE_MFA is on."""

import io

import qrcode
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import MASTER_REALM, User


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
        devices = TOTPDevice.objects.filter(user=user)
        if devices.exists() and not replace:
            raise CommandError(f"{username} already has an authenticator; use --replace")
        devices.delete()
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
        code = qrcode.QRCode(border=1)
        code.add_data(device.config_url)
        out = io.StringIO()
        code.print_ascii(out=out, invert=True)
        self.stdout.write(out.getvalue())
        self.stdout.write(f"Scan it, or enter this URL in the authenticator:\n{device.config_url}")
