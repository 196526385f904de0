"""The fleet overview's questions, asked of the database once for any number of companies.

`company_overview(companies, window=...)` annotates a Company queryset with what the ops
overview shows and sorts by: each company's connection state, failed runs in the window, open
issues, each job's last attempt outcome and last success, how many jobs are failing, and a
`problem` rank (0 = worst, `HEALTHY` = nothing wrong). Every figure is a correlated subquery, so
the page (and the fleet benchmark, which calls the same functions) costs the same number of
queries for 5 companies as for 5,000; the work per company is the database's, on indexed columns
(`SyncRun(company, job, started_at)`, the partial index of open issues).

`companies_problems_first`, `overview_filtered` and `fleet_summary` sort, filter and count that
queryset; `page_details` fills in the words (errors, issue kinds) for one page of companies.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from integrations.commerce.models import Company
from integrations.lightspeed.jobs.registry import JOBS
from integrations.lightspeed.models import (
    ConnectionStatus,
    SyncIssue,
    SyncRun,
)
from integrations.lightspeed.models.runs import issue_kind_label

# A connected, enabled company with no successful run for this long is quietly stuck: beat runs
# `tokens` and `orders` every 10 minutes, `products` and `upload` every 15, `reconcile` every 30
# (only the live loop's quiet runs go unrecorded).
STALE_AFTER = timedelta(hours=2)
NOT_ATTEMPTS = (SyncRun.Outcome.RUNNING, SyncRun.Outcome.SKIPPED, SyncRun.Outcome.REFUSED)
SUCCESSES = (SyncRun.Outcome.SUCCEEDED, SyncRun.Outcome.PARTIAL)

# Connection states, mutually exclusive (the `connection_state` annotation).
CONNECTED = "connected"
REAUTHORIZATION_REQUIRED = ConnectionStatus.REAUTHORIZATION_REQUIRED.value
DISCONNECTED = "disconnected"  # Lightspeed POS Enabled on, but no working connection
NOT_CONNECTED = "not_connected"  # off and not connected: not set up yet, or switched off
CONNECTION_STATES = {
    CONNECTED: "Connected",
    REAUTHORIZATION_REQUIRED: "Re-authorization required",
    DISCONNECTED: "Enabled but not connected",
    NOT_CONNECTED: "Not connected",
}
# The `connection` filter: each state, and "lost" for both ways of losing a working connection.
LOST = "lost"
CONNECTION_FILTERS = {
    LOST: "Disconnected (any reason)",
    **CONNECTION_STATES,
}


@dataclass(frozen=True)
class Problem:
    rank: int
    label: str


# The `problem` annotation, worst first; a company takes the rank of its worst problem.
PROBLEMS = (
    Problem(0, "Re-authorization required"),
    Problem(1, "Enabled but not connected"),
    Problem(2, "Failing job"),
    Problem(3, "Open issues"),
    Problem(4, "No success for over two hours"),
    Problem(5, "Failed runs in the window"),
)
HEALTHY = len(PROBLEMS)
STALE = PROBLEMS[4]


def _count(queryset: QuerySet):
    """How many rows of `queryset` (already correlated to the company), as a subquery; 0 for none."""
    counted = queryset.order_by().values("company_id").annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _latest(queryset: QuerySet, field: str):
    return Subquery(queryset.order_by("-started_at", "-id").values(field)[:1])


def _runs(job: str | None = None) -> QuerySet:
    runs = SyncRun.objects.filter(company=OuterRef("pk"))
    return runs.filter(job=job) if job else runs


def company_overview(
    companies: QuerySet[Company], *, window: timedelta, now: datetime | None = None
) -> QuerySet[Company]:
    """`companies` annotated with what the fleet overview shows, one query for all of them:

    * `connection_state` — one of `CONNECTION_STATES`; `lightspeed_enabled`;
    * `failed_runs` — failed runs started within `window`; `open_issues` — open issues;
    * `last_outcome_<job>` / `last_success_<job>` — each job's latest attempt's outcome and its
      latest success; `failing_job_count` — jobs whose latest attempt failed;
    * `last_success_at` — the latest success of any job;
    * `problem` — the rank in `PROBLEMS` of the company's worst problem, `HEALTHY` without one.
    """
    now = now or timezone.now()
    has_token = ~Q(lightspeed__refresh_token="") & Q(lightspeed__refresh_token__isnull=False)
    enabled = Q(lightspeed__enabled=True)
    annotations = {
        "lightspeed_enabled": Coalesce(F("lightspeed__enabled"), Value(False)),
        "connection_state": Case(
            When(
                lightspeed__connection_status=REAUTHORIZATION_REQUIRED, then=Value(REAUTHORIZATION_REQUIRED)
            ),
            When(
                Q(lightspeed__connection_status=ConnectionStatus.CONNECTED) & has_token, then=Value(CONNECTED)
            ),
            When(enabled, then=Value(DISCONNECTED)),
            default=Value(NOT_CONNECTED),
            output_field=CharField(),
        ),
        "failed_runs": _count(_runs().filter(outcome=SyncRun.Outcome.FAILED, started_at__gte=now - window)),
        "open_issues": _count(SyncIssue.objects.filter(company=OuterRef("pk"), status=SyncIssue.Status.OPEN)),
        "last_success_at": _latest(_runs().filter(outcome__in=SUCCESSES), "started_at"),
    }
    for job in JOBS:
        annotations[f"last_outcome_{job}"] = _latest(_runs(job).exclude(outcome__in=NOT_ATTEMPTS), "outcome")
        annotations[f"last_success_{job}"] = _latest(_runs(job).filter(outcome__in=SUCCESSES), "started_at")
    overview = companies.annotate(**annotations)
    failing = sum(
        (Case(When(**{f"last_outcome_{job}": SyncRun.Outcome.FAILED}, then=1), default=0) for job in JOBS),
        start=Value(0),
    )
    overview = overview.annotate(failing_job_count=failing)
    # Never a success: stale once the connection is older than STALE_AFTER, not the minute it is made.
    cutoff = now - STALE_AFTER
    stale = Q(connection_state=CONNECTED, lightspeed_enabled=True) & (
        Q(last_success_at__lt=cutoff)
        | Q(last_success_at__isnull=True)
        & (Q(lightspeed__token_received_at__isnull=True) | Q(lightspeed__token_received_at__lt=cutoff))
    )
    conditions = (
        Q(connection_state=REAUTHORIZATION_REQUIRED),
        Q(connection_state=DISCONNECTED),
        Q(failing_job_count__gt=0),
        Q(open_issues__gt=0),
        stale,
        Q(failed_runs__gt=0),
    )
    return overview.annotate(
        problem=Case(
            *(When(condition, then=Value(p.rank)) for condition, p in zip(conditions, PROBLEMS, strict=True)),
            default=Value(HEALTHY),
            output_field=IntegerField(),
        )
    )


def companies_problems_first(overview: QuerySet[Company]) -> QuerySet[Company]:
    """Worst problem first; within one, most open issues, then most failed runs, then by name."""
    return overview.order_by("problem", "-open_issues", "-failed_runs", "name", "pk")


def overview_filtered(
    overview: QuerySet[Company],
    *,
    search: str = "",
    connection: str = "",
    failing: str = "",
    has_open_issues: bool = False,
    problems_only: bool = False,
) -> QuerySet[Company]:
    """The overview narrowed to a name search, a connection filter (`CONNECTION_FILTERS`), a
    failing job (a job name, or "any"), companies with open issues, or companies with a problem.
    Unknown values narrow nothing."""
    if search:
        overview = overview.filter(name__icontains=search)
    if connection == LOST:
        overview = overview.filter(connection_state__in=(REAUTHORIZATION_REQUIRED, DISCONNECTED))
    elif connection in CONNECTION_STATES:
        overview = overview.filter(connection_state=connection)
    if failing == "any":
        overview = overview.filter(failing_job_count__gt=0)
    elif failing in JOBS:
        overview = overview.filter(**{f"last_outcome_{failing}": SyncRun.Outcome.FAILED})
    if has_open_issues:
        overview = overview.filter(open_issues__gt=0)
    if problems_only:
        overview = overview.filter(problem__lt=HEALTHY)
    return overview


def fleet_summary(overview: QuerySet[Company]) -> dict[str, int]:
    """Companies in `overview`: in total, with a problem, disconnected (`LOST`), with a failing job."""
    return overview.aggregate(
        total=Count("pk"),
        problems=Count("pk", filter=Q(problem__lt=HEALTHY)),
        disconnected=Count("pk", filter=Q(connection_state__in=(REAUTHORIZATION_REQUIRED, DISCONNECTED))),
        failing=Count("pk", filter=Q(failing_job_count__gt=0)),
    )


@dataclass
class PageDetails:
    """The words behind one page's figures, by company id."""

    errors: dict[int, list[tuple[str, str]]]  # failing job → its latest error
    issue_kinds: dict[int, list[tuple[str, int]]]  # open issues per kind, most first
    last_failure: dict[int, SyncRun]  # the latest failed run within the window


def _ranked_runs(queryset: QuerySet, partition: list) -> QuerySet:
    return (
        queryset.annotate(
            rank=Window(
                RowNumber(), partition_by=partition, order_by=[F("started_at").desc(), F("id").desc()]
            )
        )
        .filter(rank=1)
        .defer("counts", "api_statuses")
    )


def page_details(company_ids: list[int], *, window: timedelta, now: datetime | None = None) -> PageDetails:
    """Three queries for one page of companies, however many there are on it."""
    now = now or timezone.now()
    errors: dict[int, list[tuple[str, str]]] = defaultdict(list)
    attempts = _ranked_runs(
        SyncRun.objects.filter(company_id__in=company_ids).exclude(outcome__in=NOT_ATTEMPTS),
        [F("company_id"), F("job")],
    )
    for run in sorted(attempts, key=lambda r: list(JOBS).index(r.job) if r.job in JOBS else len(JOBS)):
        if run.outcome == SyncRun.Outcome.FAILED and run.job in JOBS:
            errors[run.company_id].append((run.job, run.error))
    issue_kinds: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for row in (
        SyncIssue.objects.filter(company_id__in=company_ids, status=SyncIssue.Status.OPEN)
        .values("company_id", "kind")
        .annotate(n=Count("id"))
        .order_by("company_id", "-n", "kind")
    ):
        issue_kinds[row["company_id"]].append((issue_kind_label(row["kind"]), row["n"]))
    failures = _ranked_runs(
        SyncRun.objects.filter(
            company_id__in=company_ids, outcome=SyncRun.Outcome.FAILED, started_at__gte=now - window
        ),
        [F("company_id")],
    )
    return PageDetails(
        errors=dict(errors),
        issue_kinds=dict(issue_kinds),
        last_failure={run.company_id: run for run in failures},
    )
