"""`manage.py lightspeed_demo_setup`: point Demo Outfitters' Lightspeed POS settings at the sandbox."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from integrations.commerce.models import Company
from integrations.lightspeed.connection.services.demo import lightspeed_demo_setup


class Command(BaseCommand):
    help = (
        "Configure Demo Outfitters for the Lightspeed sandbox (demo API client, order download from "
        "before the demo history, Returns Warehouse, the sandbox's shops mapped to their warehouses). "
        "Idempotent; never touches tokens."
    )

    def handle(self, *args, **options):
        try:
            result = lightspeed_demo_setup()
        except Company.DoesNotExist:
            raise CommandError("Demo Outfitters does not exist: run `manage.py seed_demo` first.") from None
        self.stdout.write(
            f"{result['company']}: Lightspeed POS set up for the sandbox; order download on; "
            f"{result['shops_mapped']} shop(s) mapped."
        )
