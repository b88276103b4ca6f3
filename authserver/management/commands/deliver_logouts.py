"""Send the back-channel logout tokens still due: retries, and what a process did not get to."""

import time

from django.core.management.base import BaseCommand

from authserver.backchannel import delivery


class Command(BaseCommand):
    help = (
        "Send due back-channel logout tokens (OpenID Connect Back-Channel Logout 1.0), retrying "
        "with backoff; runs until stopped, or once with --once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="send what is due, then stop")
        parser.add_argument("--interval", type=float, default=2.0, help="seconds between rounds")

    def handle(self, *args, once=False, interval=2.0, **options):
        while True:
            sent = delivery.deliver_due()
            if once:
                self.stdout.write(f"{sent} logout token(s) delivered")
                return
            time.sleep(max(interval, 0.1))
