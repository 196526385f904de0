"""`manage.py lightspeed_sync JOB [--company ID] [--since DATETIME] [--dry-run]`: run a job now.

`all` runs the scheduled jobs; `catalog_import` (onboarding) runs only when named."""

from __future__ import annotations

from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime
from tqdm import tqdm

from integrations.commerce.models import Company
from integrations.core import shutdown
from integrations.lightspeed.jobs.registry import JOBS, UPLOAD_FIELDS, resolve_job
from integrations.lightspeed.jobs.runner import job_run
from integrations.lightspeed.models import SyncRun

CHOICES = [*JOBS, *UPLOAD_FIELDS, "all"]
# What a job's progress counts, shown next to the bar while one run is long (a backfill).
PROGRESS_UNITS = {"orders": "sales read", "catalog_import": "items read"}


class Command(BaseCommand):
    help = "Run a Lightspeed job now for one company or all of them, with a progress bar and a summary."

    def add_arguments(self, parser):
        parser.add_argument("job", choices=CHOICES)
        parser.add_argument("--company", type=int, help="Company id (default: every company).")
        parser.add_argument("--since", help="Start time for jobs that take one (ISO 8601, with offset).")
        parser.add_argument("--dry-run", action="store_true", help="Ask Lightspeed, change nothing here.")

    def handle(self, *args, job: str, company: int | None, since: str | None, dry_run: bool, **options):
        since_at = None
        if since:
            since_at = parse_datetime(since)
            if since_at is None or since_at.tzinfo is None:
                raise CommandError(
                    "--since needs a date and time with an offset, e.g. 2026-11-01T00:00:00+00:00"
                )
        names = [name for name, spec in JOBS.items() if not spec.on_request_only] if job == "all" else [job]
        specs = [resolve_job(name) for name in names]

        companies = Company.objects.order_by("pk")
        if company is not None:
            companies = companies.filter(pk=company)
            if not companies.exists():
                raise CommandError(f"No company with id {company}.")

        outcomes: Counter = Counter()
        requests = rate_limited = 0
        work = [(c, spec, fields) for c in companies for spec, fields in specs]
        # SIGTERM (a deploy): the run in hand stops as "interrupted" and is queued for a worker.
        shutdown.on_sigterm("the lightspeed_sync command received SIGTERM")
        with tqdm(total=len(work), unit="run", disable=None, file=self.stderr._out) as bar:
            for company_obj, spec, fields in work:
                if shutdown.requested():
                    break
                bar.set_description(f"{spec.name} · {company_obj.name}")
                bar.set_postfix_str("")
                run = job_run(
                    company_id=company_obj.pk,
                    job=spec,
                    fields=fields,
                    trigger=SyncRun.Trigger.COMMAND,
                    dry_run=dry_run,
                    since=since_at,
                    progress=_within_run(bar, PROGRESS_UNITS.get(spec.name, "done")),
                )
                outcomes[run.outcome] += 1
                requests += run.api_requests
                rate_limited += run.api_rate_limited
                if run.outcome in (
                    SyncRun.Outcome.REFUSED,
                    SyncRun.Outcome.FAILED,
                    SyncRun.Outcome.SKIPPED,
                    SyncRun.Outcome.INTERRUPTED,
                ):
                    line = (
                        f"{company_obj.name}: {spec.name} {run.get_outcome_display().lower()} — {run.error}"
                    )
                    bar.write(line, file=self.stdout._out)
                elif company is not None or len(work) <= 10:
                    bar.write(f"{company_obj.name}: {spec.name} {_counts(run.counts)}", file=self.stdout._out)
                for preview in run.counts.get("preview") or []:  # a dry run's would-be writes
                    bar.write(f"  would send {preview}", file=self.stdout._out)
                bar.update(1)

        label = "+".join(names) + (" (dry run)" if dry_run else "")
        parts = (
            ", ".join(f"{n} {SyncRun.Outcome(o).label.lower()}" for o, n in sorted(outcomes.items()))
            or "nothing to do"
        )
        self.stdout.write(
            f"{label}: {len(work)} run(s) — {parts}; {requests} API request(s), {rate_limited} rate-limited."
        )
        if outcomes[SyncRun.Outcome.FAILED]:
            raise CommandError(f"{outcomes[SyncRun.Outcome.FAILED]} run(s) failed; see above.")


def _within_run(bar: tqdm, unit: str):
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        bar.set_postfix_str(f"{done} {unit}")

    return advance


def _counts(counts: dict) -> str:
    shown = {k: v for k, v in counts.items() if not isinstance(v, list | dict)}
    return ", ".join(f"{k} {v}" for k, v in sorted(shown.items()) if v) or "no changes"
