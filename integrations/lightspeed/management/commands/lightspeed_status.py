"""`manage.py lightspeed_status`: each company's Lightspeed connection and the state of its jobs."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.timesince import timesince, timeuntil

from integrations.lightspeed.connection.selectors import last_runs
from integrations.lightspeed.jobs.registry import JOBS, job_refusal
from integrations.lightspeed.models import LightspeedSettings


class Command(BaseCommand):
    help = "Show each company's Lightspeed connection and the last run of each job."

    def handle(self, *args, **options):
        rows = LightspeedSettings.objects.select_related("company").order_by("company__name")
        if not rows:
            self.stdout.write("No companies yet.")
            return
        now = timezone.now()
        for s in rows:
            self.stdout.write(self.style.MIGRATE_HEADING(f"{s.company.name} (company {s.company_id})"))
            self.stdout.write(f"  Lightspeed POS Enabled: {'yes' if s.enabled else 'no'}")
            self.stdout.write(f"  Connection: {s.get_connection_status_display()}")
            if s.needs_reauthorization:
                self.stdout.write(self.style.ERROR(f"  Reason: {s.connection_error}"))
            if s.account_id:
                self.stdout.write(
                    f"  Account: {s.account_id}{f' ({s.account_name})' if s.account_name else ''}"
                )
            if s.token_received_at:
                self.stdout.write(f"  Token received on: {s.token_received_at:%Y-%m-%d %H:%M %Z}")
            if s.token_expires_at and s.is_connected:
                left = (
                    f"in {timeuntil(s.token_expires_at, now)}"
                    if s.token_expires_at > now
                    else "expired (renewed on next use)"
                )
                self.stdout.write(f"  Access token expires: {left}")
            if s.token_refreshed_at:
                self.stdout.write(f"  Last refresh: {timesince(s.token_refreshed_at, now)} ago")
            refusal = job_refusal(s)
            if refusal:
                self.stdout.write(self.style.WARNING(f"  Jobs do not run: {refusal}"))
            runs = last_runs(s.company)
            for name in JOBS:
                run = runs.get(name)
                if run is None:
                    state = "never run"
                else:
                    state = f"{run.get_outcome_display().lower()} {timesince(run.started_at, now)} ago"
                    if run.error:
                        state += f" — {run.error[:100]}"
                self.stdout.write(f"  {name:<10} {state}")
