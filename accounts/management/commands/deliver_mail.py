"""Send the realms' mail still in the outbox: retries, and what a process did not get to."""

import time

from django.core.management.base import BaseCommand

from accounts import mail


class Command(BaseCommand):
    help = (
        "Send the mail waiting in the outbox (password resets, address verifications, ...), "
        "retrying with backoff; runs until stopped, or once with --once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="send what is due, then stop")
        parser.add_argument("--interval", type=float, default=2.0, help="seconds between rounds")

    def handle(self, *args, once=False, interval=2.0, **options):
        while True:
            sent = mail.deliver_due()
            if once:
                self.stdout.write(f"{sent} message(s) sent")
                return
            time.sleep(max(interval, 0.1))
