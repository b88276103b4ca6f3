"""Charge the orders left pending when the payment service could not be reached.

Runs without a customer, so it charges on the order service's own authority: its
client-credentials token (cached until shortly before it expires). Safe to run again and again:
the payment service keeps one payment per order reference.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from resource_server.orders import checkout
from resource_server.orders.models import Order


class Command(BaseCommand):
    help = "Charge pending orders older than --min-age seconds with the service's own token."

    def add_arguments(self, parser):
        parser.add_argument(
            "--min-age",
            type=int,
            default=60,
            help="leave younger orders alone: their charge may still be in flight (default 60)",
        )

    def handle(self, *args, min_age, **options):
        cutoff = timezone.now() - timedelta(seconds=min_age)
        pending = Order.objects.filter(status=Order.Status.PENDING, created__lte=cutoff)
        paid, failed = checkout.charge_pending(pending.order_by("created"))
        self.stdout.write(f"charged {paid} pending order(s); {failed} still pending")
