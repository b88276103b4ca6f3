"""Send the back-channel logout tokens still due (retries, and what a process did not get to),
after ending the sessions that expired without a logout, whose clients are told as well."""

import time

from django.core.management.base import BaseCommand

from accounts import sessions
from authserver.backchannel import delivery


class Command(BaseCommand):
    help = (
        "Send due back-channel logout tokens (OpenID Connect Back-Channel Logout 1.0), retrying "
        "with backoff, and those of sessions that expired (idle or at their maximum lifetime); "
        "runs until stopped, or once with --once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="send what is due, then stop")
        parser.add_argument("--interval", type=float, default=2.0, help="seconds between rounds")

    def handle(self, *args, once=False, interval=2.0, **options):
        while True:
            expired = sessions.end_expired()
            sent = delivery.deliver_due()
            if once:
                self.stdout.write(f"{expired} expired session(s), {sent} logout token(s) delivered")
                return
            time.sleep(max(interval, 0.1))
