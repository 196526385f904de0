"""Retention: old sync runs and closed issues are pruned; open issues stay until resolved.

Ages come from LIGHTSPEED_RUN_RETENTION_DAYS and LIGHTSPEED_ISSUE_RETENTION_DAYS; the live loop's
freshness samples and API usage minutes from LIGHTSPEED_FRESHNESS_RETENTION_DAYS and
LIGHTSPEED_API_USAGE_RETENTION_DAYS (the dashboard reads only their last hour). Other modules
with per-request or per-run records register them with `retention_register`, so one scheduled
task prunes everything. Deletes go in batches so a long-neglected table never holds the
database's write lock for long (SQLite has one writer).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from integrations.lightspeed.models import ApiUsageMinute, FreshnessSample, SyncIssue, SyncRun

logger = logging.getLogger(__name__)

BATCH = 1000


@dataclass(frozen=True)
class RetentionRule:
    label: str
    days: Callable[[], int]
    expired: Callable[[datetime], QuerySet]  # rows older than the cutoff


def _runs_expired(cutoff: datetime) -> QuerySet:
    # A run still marked running is left alone whatever its age: it is shown as stuck.
    return SyncRun.objects.filter(started_at__lt=cutoff).exclude(outcome=SyncRun.Outcome.RUNNING)


def _issues_expired(cutoff: datetime) -> QuerySet:
    return SyncIssue.objects.filter(last_seen_at__lt=cutoff).exclude(status=SyncIssue.Status.OPEN)


_rules: dict[str, RetentionRule] = {
    "sync runs": RetentionRule("sync runs", lambda: settings.LIGHTSPEED_RUN_RETENTION_DAYS, _runs_expired),
    "closed issues": RetentionRule(
        "closed issues", lambda: settings.LIGHTSPEED_ISSUE_RETENTION_DAYS, _issues_expired
    ),
    "freshness samples": RetentionRule(
        "freshness samples",
        lambda: settings.LIGHTSPEED_FRESHNESS_RETENTION_DAYS,
        lambda cutoff: FreshnessSample.objects.filter(done_at__lt=cutoff),
    ),
    "API usage minutes": RetentionRule(
        "API usage minutes",
        lambda: settings.LIGHTSPEED_API_USAGE_RETENTION_DAYS,
        lambda cutoff: ApiUsageMinute.objects.filter(minute__lt=cutoff),
    ),
}


def retention_register(
    label: str, *, days: Callable[[], int], expired: Callable[[datetime], QuerySet]
) -> None:
    """Adds a kind of record to prune: `expired(cutoff)` returns the rows older than the cutoff."""
    _rules[label] = RetentionRule(label, days, expired)


def _delete_in_batches(queryset: QuerySet) -> int:
    deleted = 0
    while True:
        ids = list(queryset.values_list("pk", flat=True)[:BATCH])
        if not ids:
            return deleted
        with transaction.atomic():
            queryset.model.objects.filter(pk__in=ids).delete()
        deleted += len(ids)


def retention_prune(*, now: datetime | None = None) -> dict[str, int]:
    """Deletes what is older than its retention age; returns how many of each were deleted."""
    now = now or timezone.now()
    deleted: dict[str, int] = {}
    for rule in _rules.values():
        days = rule.days()
        if days <= 0:  # 0 keeps everything
            continue
        deleted[rule.label] = _delete_in_batches(rule.expired(now - timedelta(days=days)))
    if any(deleted.values()):
        logger.info("Retention pruned %s", ", ".join(f"{n} {label}" for label, n in deleted.items()))
    return deleted
