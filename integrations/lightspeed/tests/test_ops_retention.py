"""Retention: old runs and closed issues are pruned on schedule; open issues stay until resolved."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from integrations.lightspeed.models import SyncIssue, SyncRun
from integrations.lightspeed.operations.services.retention import retention_prune, retention_register


def _run(company, days_ago: float, outcome=SyncRun.Outcome.SUCCEEDED) -> SyncRun:
    return SyncRun.objects.create(
        company=company, job="shops", outcome=outcome, started_at=timezone.now() - timedelta(days=days_ago)
    )


def _issue(company, key: str, days_ago: float, status=SyncIssue.Status.OPEN, run=None) -> SyncIssue:
    at = timezone.now() - timedelta(days=days_ago)
    return SyncIssue.objects.create(
        company=company,
        kind="sale_invalid",
        key=key,
        message="x",
        status=status,
        first_seen_at=at,
        last_seen_at=at,
        run=run,
    )


def test_runs_older_than_the_retention_age_are_pruned_and_newer_ones_kept(connected, settings):
    settings.LIGHTSPEED_RUN_RETENTION_DAYS = 30
    old, recent = _run(connected.company, 31), _run(connected.company, 29)
    stuck = _run(connected.company, 45, outcome=SyncRun.Outcome.RUNNING)

    deleted = retention_prune()

    assert deleted["sync runs"] == 1
    assert set(SyncRun.objects.values_list("pk", flat=True)) == {recent.pk, stuck.pk}
    assert not SyncRun.objects.filter(pk=old.pk).exists()


def test_open_issues_are_kept_whatever_their_age_and_closed_ones_pruned(connected, settings):
    settings.LIGHTSPEED_ISSUE_RETENTION_DAYS = 30
    settings.LIGHTSPEED_RUN_RETENTION_DAYS = 30
    old_run = _run(connected.company, 200)
    ancient_open = _issue(connected.company, "1", 400, run=old_run)
    _issue(connected.company, "2", 40, status=SyncIssue.Status.RESOLVED)
    _issue(connected.company, "3", 40, status=SyncIssue.Status.IGNORED)
    recent_resolved = _issue(connected.company, "4", 3, status=SyncIssue.Status.RESOLVED)

    deleted = retention_prune()

    assert (deleted["sync runs"], deleted["closed issues"]) == (1, 2)
    assert set(SyncIssue.objects.values_list("pk", flat=True)) == {ancient_open.pk, recent_resolved.pk}
    ancient_open.refresh_from_db()
    assert ancient_open.run is None  # its run went; the issue stays


def test_a_retention_age_of_zero_keeps_everything(connected, settings):
    settings.LIGHTSPEED_RUN_RETENTION_DAYS = 0
    _run(connected.company, 3650)
    assert "sync runs" not in retention_prune()
    assert SyncRun.objects.count() == 1


def test_many_old_runs_are_deleted_in_batches(connected, settings, django_assert_max_num_queries):
    settings.LIGHTSPEED_RUN_RETENTION_DAYS = 1
    SyncRun.objects.bulk_create(
        [
            SyncRun(
                company=connected.company,
                job="orders",
                outcome="succeeded",
                started_at=timezone.now() - timedelta(days=2),
            )
            for _ in range(2500)
        ]
    )
    with django_assert_max_num_queries(60):  # a few per batch of 1000, never per row
        assert retention_prune()["sync runs"] == 2500


def test_other_records_can_join_the_retention_task(connected, settings):
    from integrations.core.models import ChangeLog

    seen = []

    def expired(cutoff):
        seen.append(cutoff)
        return ChangeLog.objects.none()

    retention_register("test records", days=lambda: 7, expired=expired)

    assert retention_prune()["test records"] == 0
    assert abs((timezone.now() - timedelta(days=7) - seen[0]).total_seconds()) < 5


def test_the_prune_task_is_scheduled_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["lightspeed-retention"]
    assert entry == {"task": "lightspeed.prune_records", "schedule": timedelta(hours=24)}


def test_freshness_samples_and_api_usage_minutes_older_than_their_retention_are_pruned(connected, settings):
    from integrations.lightspeed.live.services.freshness import Direction, api_usage_record, freshness_record
    from integrations.lightspeed.models import ApiUsageMinute, FreshnessSample

    settings.LIGHTSPEED_FRESHNESS_RETENTION_DAYS = 7
    settings.LIGHTSPEED_API_USAGE_RETENTION_DAYS = 3
    company_id, now = connected.company_id, timezone.now()
    for days in (8, 6):
        done = now - timedelta(days=days)
        freshness_record(
            company_id=company_id,
            direction=Direction.SALE_TO_ORDER,
            samples=[(f"sale-{days}", done - timedelta(seconds=4), done)],
        )
    for days in (4, 2):
        api_usage_record(
            company_id=company_id, drips=1, requests=1, polling=True, at=now - timedelta(days=days)
        )

    deleted = retention_prune()

    assert (deleted["freshness samples"], deleted["API usage minutes"]) == (1, 1)
    assert list(FreshnessSample.objects.values_list("key", flat=True)) == ["sale-6"]
    assert ApiUsageMinute.objects.get().minute > now - timedelta(days=3)
