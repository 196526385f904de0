"""Alerts by email: the connection needs re-authorization, a job keeps failing, stock drifts, the
sync stays slower than its freshness threshold.

Each condition is said once, to the company's users and every ops staff member, and said again
only when what it says changes or after a quiet period (LIGHTSPEED_ALERT_QUIET_HOURS) — never
once per run. When the condition goes away the people who were told hear that too, once.
Conditions are checked after every run (on commit) and by a beat task, under a per-company lock
so two workers finishing at once send one email.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import get_connection, send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from integrations.core.locks import named_lock
from integrations.lightspeed.connection.selectors import alert_recipients
from integrations.lightspeed.jobs.registry import JOBS
from integrations.lightspeed.models import AlertNotice, FreshnessSample, LightspeedSettings, SyncRun
from integrations.lightspeed.models.catalog import StockDrift
from integrations.lightspeed.operations.metrics import counter_add
from integrations.lightspeed.operations.selectors import freshness_delays, freshness_threshold_for, percentile

logger = logging.getLogger(__name__)

# Runs that say nothing about whether the job works: they did not try.
_NOT_ATTEMPTS = (SyncRun.Outcome.RUNNING, SyncRun.Outcome.SKIPPED, SyncRun.Outcome.REFUSED)
# Drift: items whose quantity moved in Lightspeed without a sale explaining it (StockDrift rows
# the catalog jobs record), counted over this window.
DRIFT_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Condition:
    kind: str
    subject: str
    summary: str  # what it says; its fingerprint decides whether it is news
    subject_line: str
    body: str
    fingerprint_text: str = ""

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256((self.fingerprint_text or self.summary).encode()).hexdigest()


def _quiet_period() -> timedelta:
    return timedelta(hours=settings.LIGHTSPEED_ALERT_QUIET_HOURS)


def _dashboard_url(company_id: int) -> str:
    return f"{settings.SITE_URL}{reverse('admin:lightspeed_dashboard_changelist')}?company={company_id}"


def _same_error(message: str) -> str:
    # "retry after 37 s" and "retry after 12 s" are the same problem: numbers do not make news.
    return re.sub(r"\d+", "#", message.strip())


def _reauthorization(settings_obj: LightspeedSettings) -> Condition | None:
    if not settings_obj.needs_reauthorization:
        return None
    name = settings_obj.company.name
    return Condition(
        kind=AlertNotice.Kind.REAUTHORIZATION,
        subject="",
        summary=settings_obj.connection_error or "Lightspeed refused the token.",
        subject_line=f"[LightSync] Lightspeed needs re-authorization for {name}",
        body=(
            f"LightSync can no longer reach Lightspeed for {name}.\n\n"
            f"Reason: {settings_obj.connection_error or 'Lightspeed refused the token.'}\n\n"
            "Until someone connects again, no orders are downloaded and no stock, prices or costs are "
            "uploaded. Open Lightspeed POS → General Settings and choose Actions → Fetch Token."
        ),
    )


def _failing_jobs(company_id: int, company_name: str) -> list[Condition]:
    streak = settings.LIGHTSPEED_ALERT_FAILED_RUNS
    conditions = []
    for job in JOBS:
        runs = list(
            SyncRun.objects.filter(company_id=company_id, job=job)
            .exclude(outcome__in=_NOT_ATTEMPTS)
            .order_by("-started_at", "-id")
            .only("outcome", "error", "started_at")[:streak]
        )
        if len(runs) < streak or any(run.outcome != SyncRun.Outcome.FAILED for run in runs):
            continue
        latest, oldest = runs[0], runs[-1]
        conditions.append(
            Condition(
                kind=AlertNotice.Kind.JOB_FAILING,
                subject=job,
                summary=latest.error or "no error recorded",
                fingerprint_text=_same_error(latest.error),
                subject_line=f"[LightSync] The Lightspeed {job} job keeps failing for {company_name}",
                body=(
                    f"The {job} job ({JOBS[job].description}) failed its last {streak} runs for "
                    f"{company_name}, since {oldest.started_at:%Y-%m-%d %H:%M} UTC.\n\n"
                    f"Last error: {latest.error or 'no error recorded'}\n\n"
                    "LightSync keeps trying on schedule."
                ),
            )
        )
    return conditions


def _drift(company_id: int, company_name: str, now: datetime) -> Condition | None:
    drifted = (
        StockDrift.objects.filter(company_id=company_id, detected_at__gte=now - DRIFT_WINDOW)
        .values("link_id")
        .distinct()
        .count()
    )
    threshold = settings.LIGHTSPEED_ALERT_DRIFT_ITEMS
    if drifted < threshold or drifted == 0:
        return None
    return Condition(
        kind=AlertNotice.Kind.DRIFT,
        subject="",
        summary=f"{drifted} items drifted in the last 24 hours",
        # Said again when it doubles, not each time one more item moves.
        fingerprint_text=f"drift 2^{int(math.log2(drifted))}",
        subject_line=f"[LightSync] Stock in Lightspeed drifted for {company_name}",
        body=(
            f"In the last 24 hours {drifted} items had a quantity in Lightspeed that no sale explains "
            f"(the alert threshold is {threshold}).\n\n"
            "LightSync is the source of truth for stock and sets those quantities back. If someone is "
            "counting or receiving stock directly in Lightspeed, do it in LightSync instead."
        ),
    )


_FRESHNESS_EFFECT = {
    FreshnessSample.Direction.SALE_TO_ORDER: (
        "Sales rung up at the registers take longer than that to become orders here, with their stock "
        "moved: other channels may sell stock that is already gone."
    ),
    FreshnessSample.Direction.STOCK_TO_LIGHTSPEED: (
        "Stock changes made here take longer than that to reach Lightspeed: the registers may show "
        "quantities that are no longer true."
    ),
}


def _freshness(company_id: int, company_name: str, now: datetime) -> list[Condition]:
    """p95 above the threshold in each of the last two windows: slow for a while, not one spike.
    A window with fewer samples than the minimum says nothing, so a quiet shop never alerts."""
    window = timedelta(minutes=settings.LIGHTSPEED_ALERT_FRESHNESS_MINUTES)
    threshold = freshness_threshold_for(company_id=company_id)
    delays = freshness_delays(company_id=company_id, since=now - 2 * window, until=now)
    minutes = settings.LIGHTSPEED_ALERT_FRESHNESS_MINUTES
    conditions = []
    for direction in FreshnessSample.Direction:
        earlier = sorted(s for at, s in delays[direction] if at <= now - window)
        latest = sorted(s for at, s in delays[direction] if at > now - window)
        if min(len(earlier), len(latest)) < threshold.min_samples:
            continue
        p95_earlier, p95_latest = percentile(earlier, 0.95), percentile(latest, 0.95)
        if p95_earlier <= threshold.p95_seconds or p95_latest <= threshold.p95_seconds:
            continue
        label = direction.label
        conditions.append(
            Condition(
                kind=AlertNotice.Kind.FRESHNESS,
                subject=label,  # what the dashboard and the "Resolved" email call it
                summary=(
                    f"{label}: p95 {p95_latest:.1f} s over the last {minutes} minutes ({len(latest)} "
                    f"samples), {p95_earlier:.1f} s over the {minutes} before; the threshold is "
                    f"{threshold.p95_seconds:g} s"
                ),
                # The figures move on every check; only a new threshold makes it news.
                fingerprint_text=f"freshness {direction.value} above {threshold.p95_seconds:g}",
                subject_line=f"[LightSync] {label} is slower than {threshold.p95_seconds:g} s for {company_name}",
                body=(
                    f"For {company_name}, the 95th percentile of {label} has been above "
                    f"{threshold.p95_seconds:g} s for the last {2 * minutes} minutes: {p95_earlier:.1f} s, "
                    f"then {p95_latest:.1f} s over the last {minutes} minutes ({len(latest)} measured).\n\n"
                    f"{_FRESHNESS_EFFECT[direction]}\n\n"
                    "The dashboard shows whether a job is failing or waiting on Lightspeed's rate limit "
                    "(the drip budget line) and how much is waiting to go up."
                ),
            )
        )
    return conditions


def _send(company, subject: str, body: str) -> int:
    recipients = alert_recipients(company)
    if not recipients:
        return 0
    # One message per person: merchants must not see each other's (or ops staff's) addresses.
    # An address the mail server refuses must not stop the rest, nor (by failing the check) make
    # those already told hear it again on every check: it is logged. Only when nobody could be
    # told does the failure propagate, so that the next check tries again.
    sent, failure = 0, None
    with get_connection() as connection:
        for email in recipients:
            try:
                sent += send_mail(subject, body, None, [email], connection=connection)
            except (smtplib.SMTPException, OSError) as exc:
                logger.warning("Alert email of company %s to one recipient not sent: %s", company.pk, exc)
                failure = exc
    if not sent and failure is not None:
        raise failure
    return sent


def _conditions(settings_obj: LightspeedSettings, now: datetime) -> list[Condition]:
    company = settings_obj.company
    found = [
        _reauthorization(settings_obj),
        *_failing_jobs(company.pk, company.name),
        _drift(company.pk, company.name, now),
        *_freshness(company.pk, company.name, now),
    ]
    return [c for c in found if c is not None]


def alerts_check_company(*, company_id: int, now: datetime | None = None) -> list[AlertNotice]:
    """Checks the company's conditions, emails what is news, and returns the alerts it sent."""
    now = now or timezone.now()
    with named_lock(f"company:{company_id}:alerts", wait=30) as lock:
        if lock is None:
            logger.warning("Alerts of company %s not checked: another check holds the lock", company_id)
            return []
        settings_obj = (
            LightspeedSettings.objects.select_related("company").filter(company_id=company_id).first()
        )
        if settings_obj is None:
            return []
        return _check(settings_obj, now)


def _check(settings_obj: LightspeedSettings, now: datetime) -> list[AlertNotice]:
    company = settings_obj.company
    dashboard = _dashboard_url(company.pk)
    conditions = {(c.kind, c.subject): c for c in _conditions(settings_obj, now)}
    notices = {(n.kind, n.subject): n for n in AlertNotice.objects.filter(company=company)}
    sent: list[AlertNotice] = []

    for key, condition in conditions.items():
        notice = notices.get(key)
        if notice is None or not notice.active:
            notice = notice or AlertNotice(company=company, kind=condition.kind, subject=condition.subject)
            notice.raised_at, notice.cleared_at, notice.last_sent_at = now, None, None
            notice.fingerprint, notice.times_sent = "", 0
            if (
                condition.kind == AlertNotice.Kind.REAUTHORIZATION
                and settings_obj.reauthorization_notified_at is not None
            ):
                # The connection already emailed everybody the moment it was lost.
                notice.fingerprint = condition.fingerprint
                notice.last_sent_at = settings_obj.reauthorization_notified_at
                notice.times_sent = 1
        news = notice.fingerprint != condition.fingerprint
        quiet_over = notice.last_sent_at is None or now - notice.last_sent_at >= _quiet_period()
        notice.message = condition.summary
        if news or quiet_over:
            again = "" if notice.times_sent == 0 else " (still)" if not news else " (changed)"
            _send(company, condition.subject_line + again, f"{condition.body}\n\nDashboard: {dashboard}\n")
            notice.fingerprint, notice.last_sent_at = condition.fingerprint, now
            notice.times_sent += 1
            counter_add("alerts_sent", kind=condition.kind)
            sent.append(notice)
        with transaction.atomic():
            notice.save()

    for key, notice in notices.items():
        if key in conditions or not notice.active:
            continue
        notice.cleared_at = now
        if notice.times_sent:
            label = notice.get_kind_display() + (f" ({notice.subject})" if notice.subject else "")
            _send(
                company,
                f"[LightSync] Resolved: {label} for {company.name}",
                f"This is resolved: {label} — {notice.message}\n\nDashboard: {dashboard}\n",
            )
        notice.save()
    return sent


def alerts_check_all(*, now: datetime | None = None) -> int:
    """Beat: checks every company with Lightspeed settings; returns the number of alerts sent."""
    company_ids = list(LightspeedSettings.objects.values_list("company_id", flat=True))
    sent = 0
    for company_id in company_ids:
        # One company's failure (its mail refused, a bad row) must not silence every company after it.
        try:
            sent += len(alerts_check_company(company_id=company_id, now=now))
        except Exception:
            logger.exception("Alerts check failed for company %s", company_id)
    return sent
