"""The ops fleet overview: what one page costs for 200 and for 1,000 companies.

Each company has 30 runs spread over the jobs (one company in ten with two jobs failing), three
open issues for one in four, and one in twenty has lost its connection. For each size: the queries of the selectors
behind one page (`dashboard.fleet_overview`) and of the whole page through the admin, and the
median and p95 time of each over repeated renders; then the ratio of the selectors' time at
1,000 to their time at 200 (the database's work grows with the fleet; the number of queries must
not).
BENCH_OVERVIEW_SIZES changes the sizes (comma-separated).
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from integrations.commerce import roles
from integrations.commerce.models import Company, User
from integrations.lightspeed.jobs.registry import JOBS
from integrations.lightspeed.models import ConnectionStatus, LightspeedSettings, SyncIssue, SyncRun
from integrations.lightspeed.operations import dashboard

SIZES = [int(n) for n in os.environ.get("BENCH_OVERVIEW_SIZES", "200,1000").split(",")]
RUNS_PER_COMPANY = 30
REPEATS = 15


def _fleet(start: int, count: int) -> None:
    now = timezone.now()
    companies = Company.objects.bulk_create(
        [Company(name=f"Fleet {i:05d}") for i in range(start, start + count)]
    )
    LightspeedSettings.objects.bulk_create(
        [
            LightspeedSettings(
                company=company,
                enabled=True,
                refresh_token="r",
                auth_token="a",
                token_received_at=now - timedelta(days=9),
                connection_status=(
                    ConnectionStatus.REAUTHORIZATION_REQUIRED if i % 20 == 0 else ConnectionStatus.CONNECTED
                ),
            )
            for i, company in enumerate(companies, start=start)
        ]
    )
    jobs = list(JOBS)
    runs, issues = [], []
    for i, company in enumerate(companies, start=start):
        for r in range(RUNS_PER_COMPANY):
            started = now - timedelta(minutes=10 * r + i % 7)
            failed = i % 10 == 0 and r < 2  # the latest attempts of two jobs
            runs.append(
                SyncRun(
                    company=company,
                    job=jobs[r % len(jobs)],
                    started_at=started,
                    finished_at=started,
                    outcome=SyncRun.Outcome.FAILED if failed else SyncRun.Outcome.SUCCEEDED,
                    error="HTTP 500 from Lightspeed" if failed else "",
                )
            )
        if i % 4 == 0:
            issues += [
                SyncIssue(company=company, kind="unmatched_item", key=str(k), message=f"item {k}")
                for k in range(3)
            ]
    SyncRun.objects.bulk_create(runs, batch_size=5000)
    SyncIssue.objects.bulk_create(issues, batch_size=5000)
    if connection.vendor == "postgresql":
        # Freshly bulk-loaded tables have no statistics yet (autovacuum would gather them in
        # production); without them the planner guesses and the timings say little.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _page_figures(client, filters: dashboard.OverviewFilters) -> tuple[int, int, list[float], list[float]]:
    with CaptureQueriesContext(connection) as selector_queries:
        result = dashboard.fleet_overview(Company.objects.all(), filters=filters, page_number=1)
    assert len(result["rows"]) == dashboard.OVERVIEW_PAGE_SIZE  # a full page was answered
    selector_count = len(selector_queries)  # now: each request clears the query log it reads
    with CaptureQueriesContext(connection) as page_queries:
        response = client.get(reverse("admin:lightspeed_dashboard_changelist"), {"all": "1"})
    page_count = len(page_queries)
    assert response.status_code == 200 and response.content.decode().count('class="ls-row') == 50
    client.get(reverse("admin:lightspeed_dashboard_changelist"), {"all": "1"})  # warm-up
    selector_seconds, page_seconds = [], []
    for _ in range(REPEATS):
        started = time.perf_counter()
        list(dashboard.fleet_overview(Company.objects.all(), filters=filters, page_number=1)["rows"])
        selector_seconds.append(time.perf_counter() - started)
        started = time.perf_counter()
        client.get(reverse("admin:lightspeed_dashboard_changelist"), {"all": "1"})
        page_seconds.append(time.perf_counter() - started)
    return selector_count, page_count, selector_seconds, page_seconds


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


@pytest.mark.django_db
def bench_overview_page_at_fleet_size(client):
    roles.roles_apply()
    ops = User.objects.create_user("ops", password="pw", is_staff=True)
    ops.groups.add(Group.objects.get(name=roles.OPS_STAFF))
    client.force_login(ops)
    filters = dashboard.OverviewFilters(show_all=True)
    print()
    figures = {}
    made = 0
    for size in SIZES:
        _fleet(made, size - made)
        made = size
        selector_queries, page_queries, selector_seconds, seconds = _page_figures(client, filters)
        summary = dashboard.fleet_overview(Company.objects.all(), filters=filters)["summary"]
        assert summary["total"] == size
        figures[size] = (selector_queries, page_queries, statistics.median(selector_seconds))
        print(
            f"ops overview: {size:>5} companies ({summary['problems']} with problems): "
            f"{selector_queries} selector queries, {page_queries} queries per page; "
            f"selectors median {statistics.median(selector_seconds) * 1000:.0f} ms, "
            f"p95 {_p95(selector_seconds) * 1000:.0f} ms; "
            f"whole page median {statistics.median(seconds) * 1000:.0f} ms, p95 {_p95(seconds) * 1000:.0f} ms"
        )
    first, last = SIZES[0], SIZES[-1]
    print(
        f"ops overview: {last} vs {first} companies: queries ×{figures[last][1] / figures[first][1]:.2f}, "
        f"selector time ×{figures[last][2] / figures[first][2]:.2f} (companies ×{last / first:g})"
    )
    print(f"ops overview: database: {connection.vendor}")
    assert figures[last][:2] == figures[first][:2]  # bounded: the same queries whatever the fleet
