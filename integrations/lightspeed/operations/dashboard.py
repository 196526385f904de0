"""What the operations dashboard shows: read-only questions, answered in a bounded number of
queries whatever the number of companies, runs or issues (the fleet overview's figures come from operations/selectors/; views.py renders).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.paginator import Paginator
from django.db.models import Count, F, FloatField, Max, Min, OuterRef, Q, Subquery, Sum
from django.db.models.expressions import Window
from django.db.models.functions import Cast, RowNumber, TruncDate, TruncHour
from django.utils import timezone

from integrations.commerce.models import Company, StockLedgerEntry
from integrations.lightspeed.jobs.enqueue import job_enqueue_refusal
from integrations.lightspeed.jobs.registry import JOBS, job_refusal
from integrations.lightspeed.models import AlertNotice, LightspeedSettings, SyncIssue, SyncRun
from integrations.lightspeed.models.catalog import ItemShopState, ProductLink
from integrations.lightspeed.models.orders import LightspeedSale
from integrations.lightspeed.models.runs import issue_kind_label
from integrations.lightspeed.operations import selectors
from integrations.lightspeed.operations.dashboard_charts import bar_chart, line_chart
from integrations.lightspeed.operations.selectors import CompanyFreshness, freshness_overview

WINDOWS = {"24h": timedelta(hours=24), "3d": timedelta(days=3), "7d": timedelta(days=7)}
DEFAULT_WINDOW = "3d"  # Monday morning: the whole weekend
CHART_DAYS = 14
API_HOURS = 48
OVERVIEW_PAGE_SIZE = 50
_NOT_ATTEMPTS = selectors.NOT_ATTEMPTS


@dataclass
class JobState:
    name: str
    description: str
    last_attempt: SyncRun | None = None
    last_success_at: datetime | None = None
    failures_in_a_row: int = 0
    running: SyncRun | None = None
    refusal: str | None = None  # why this job does not run with the company's settings now
    sync_refusal: str | None = None  # why Sync now would be refused (the button is greyed out)

    @property
    def failing(self) -> bool:
        return self.last_attempt is not None and self.last_attempt.outcome == SyncRun.Outcome.FAILED


@dataclass(frozen=True)
class OverviewFilters:
    """What the ops overview is narrowed to; every field lives in the query string."""

    window: str = DEFAULT_WINDOW
    search: str = ""
    connection: str = ""  # a key of selectors.CONNECTION_FILTERS
    failing: str = ""  # a job name, or "any"
    has_open_issues: bool = False
    show_all: bool = False  # healthy companies too (after the ones with problems)

    @classmethod
    def from_query(cls, query) -> OverviewFilters:
        """From request.GET; values that mean nothing fall back to no filter."""
        window = query.get("window", DEFAULT_WINDOW)
        connection = query.get("connection", "")
        failing = query.get("failing", "")
        return cls(
            window=window if window in WINDOWS else DEFAULT_WINDOW,
            search=query.get("q", "").strip()[:200],
            connection=connection if connection in selectors.CONNECTION_FILTERS else "",
            failing=failing if failing == "any" or failing in JOBS else "",
            has_open_issues=query.get("issues") == "1",
            show_all=query.get("all") == "1",
        )

    @property
    def narrowed(self) -> bool:
        return bool(self.search or self.connection or self.failing or self.has_open_issues)


@dataclass
class CompanyRow:
    """One line of the ops overview: a company annotated by selectors.company_overview, and the
    words behind its figures (selectors.page_details)."""

    company: Company
    failing_jobs: list[str] = field(default_factory=list)
    last_errors: list[str] = field(default_factory=list)
    issue_kinds: list[tuple[str, int]] = field(default_factory=list)
    last_failure: SyncRun | None = None  # the latest failed run within the window
    last_success: dict[str, datetime] = field(default_factory=dict)
    freshness: CompanyFreshness | None = None  # the last hour's p50/p95 both ways

    @property
    def connection_state(self) -> str:
        return self.company.connection_state

    @property
    def connection_label(self) -> str:
        return selectors.CONNECTION_STATES[self.company.connection_state]

    @property
    def needs_reauthorization(self) -> bool:
        return self.company.connection_state == selectors.REAUTHORIZATION_REQUIRED

    @property
    def needs_attention(self) -> bool:
        return self.company.problem < selectors.HEALTHY

    @property
    def problem_label(self) -> str:
        return selectors.PROBLEMS[self.company.problem].label if self.needs_attention else ""

    @property
    def stale(self) -> bool:
        return self.company.problem == selectors.STALE.rank

    @property
    def failed_runs(self) -> int:
        return self.company.failed_runs

    @property
    def open_issues(self) -> int:
        return self.company.open_issues


def _latest_attempts(companies: list[int]) -> dict[tuple[int, str], SyncRun]:
    ranked = (
        SyncRun.objects.filter(company_id__in=companies)
        .exclude(outcome__in=_NOT_ATTEMPTS)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("company_id"), F("job")],
                order_by=[F("started_at").desc(), F("id").desc()],
            )
        )
        .filter(rank=1)
        .defer("counts", "api_statuses")
    )
    return {(run.company_id, run.job): run for run in ranked}


def _last_successes(companies: list[int]) -> dict[tuple[int, str], datetime]:
    rows = (
        SyncRun.objects.filter(
            company_id__in=companies, outcome__in=(SyncRun.Outcome.SUCCEEDED, SyncRun.Outcome.PARTIAL)
        )
        .values("company_id", "job")
        .annotate(at=Max("started_at"))
    )
    return {(row["company_id"], row["job"]): row["at"] for row in rows}


def _overview_row(
    company: Company, details: selectors.PageDetails, freshness: dict[int, CompanyFreshness]
) -> CompanyRow:
    errors = details.errors.get(company.pk, [])
    return CompanyRow(
        company=company,
        freshness=freshness.get(company.pk),
        failing_jobs=[job for job, _ in errors],
        last_errors=[f"{job}: {error[:160]}" for job, error in errors],
        issue_kinds=details.issue_kinds.get(company.pk, []),
        last_failure=details.last_failure.get(company.pk),
        last_success={
            job: getattr(company, f"last_success_{job}")
            for job in JOBS
            if getattr(company, f"last_success_{job}") is not None
        },
    )


def fleet_overview(
    companies, *, filters: OverviewFilters, page_number: str | int | None = 1, now: datetime | None = None
) -> dict:
    """One page of the ops overview, problems first, and the summary of the whole fleet: eight
    queries whatever the number of companies (summary, count, page, the page's details and its
    freshness)."""
    now = now or timezone.now()
    window = WINDOWS[filters.window]
    overview = selectors.company_overview(companies, window=window, now=now)
    listed = selectors.overview_filtered(
        overview,
        search=filters.search,
        connection=filters.connection,
        failing=filters.failing,
        has_open_issues=filters.has_open_issues,
        problems_only=not filters.show_all,
    )
    listed = selectors.companies_problems_first(listed).annotate(
        connection_error=F("lightspeed__connection_error")
    )
    page = Paginator(listed, OVERVIEW_PAGE_SIZE).get_page(page_number)
    ids = [c.pk for c in page]
    details = selectors.page_details(ids, window=window, now=now)
    freshness = freshness_overview(ids, now=now)
    return {
        "summary": selectors.fleet_summary(overview),
        "page": page,
        "rows": [_overview_row(company, details, freshness) for company in page],
    }


def job_states(company: Company) -> list[JobState]:
    settings_obj = LightspeedSettings.objects.filter(company=company).first()
    attempts = _latest_attempts([company.pk])
    successes = _last_successes([company.pk])
    running = {
        run.job: run
        for run in SyncRun.objects.filter(company=company, outcome=SyncRun.Outcome.RUNNING).order_by(
            "started_at"
        )
    }
    recent = defaultdict(list)
    for job, outcome in (
        SyncRun.objects.filter(company=company)
        .exclude(outcome__in=_NOT_ATTEMPTS)
        .order_by("-started_at", "-id")
        .values_list("job", "outcome")[:500]
    ):
        recent[job].append(outcome)
    states = []
    for name, spec in JOBS.items():
        streak = 0
        for outcome in recent[name]:
            if outcome != SyncRun.Outcome.FAILED:
                break
            streak += 1
        states.append(
            JobState(
                name=name,
                description=spec.description,
                last_attempt=attempts.get((company.pk, name)),
                last_success_at=successes.get((company.pk, name)),
                failures_in_a_row=streak,
                running=running.get(name),
                # The company-wide refusal shows once above the table; this is the job's own.
                refusal=spec.refusal(settings_obj) if spec.refusal and settings_obj else None,
                sync_refusal=(
                    job_enqueue_refusal(settings_obj=settings_obj, job=name)
                    if settings_obj
                    else "Lightspeed POS is not set up for this company."
                ),
            )
        )
    return states


def upload_backlog(company: Company) -> dict:
    due = ProductLink.objects.filter(company=company, enabled=True, upload_due_at__isnull=False)
    summary = due.aggregate(n=Count("id"), oldest=Min("upload_due_at"))
    return {"items": summary["n"], "oldest": summary["oldest"]}


def _days(now: datetime, days: int) -> list[date]:
    today = now.date()
    return [today - timedelta(days=days - 1 - i) for i in range(days)]


def orders_chart(company: Company, *, now: datetime):
    days = _days(now, CHART_DAYS)
    rows = (
        LightspeedSale.objects.filter(
            company=company,
            order__isnull=False,
            complete_time__date__gte=days[0],
            complete_time__date__lte=days[-1],
        )
        .values(day=TruncDate("complete_time"), shop_name=F("shop__name"))
        .annotate(n=Count("id"))
    )
    per_shop: dict[str, dict[date, int]] = defaultdict(dict)
    for row in rows:
        per_shop[row["shop_name"] or "Unmapped shop"][row["day"]] = row["n"]
    series = [(shop, [per_shop[shop].get(d, 0) for d in days]) for shop in sorted(per_shop)]
    total = sum(sum(values) for _, values in series)
    chart = bar_chart(
        "Orders per day per shop",
        [f"{d:%b %d}" for d in days],
        series or [("No orders", [0] * len(days))],
        unit="orders",
    )
    return chart, total


def _median_and_max(values: list[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    return round(statistics.median(values), 1), round(max(values), 1)


def latency_chart(company: Company, *, now: datetime):
    """Sale completed in Lightspeed → order in LightSync, and stock change → sent, per day."""
    days = _days(now, CHART_DAYS)
    start = timezone.make_aware(datetime.combine(days[0], datetime.min.time()))
    sale_delays: dict[date, list[float]] = defaultdict(list)
    for completed, imported in (
        LightspeedSale.objects.filter(company=company, order__isnull=False, created_at__gte=start)
        .exclude(complete_time=None)
        .order_by("-created_at")
        .values_list("complete_time", "created_at")[:5000]
    ):
        seconds = (imported - completed).total_seconds()
        if 0 <= seconds <= 86400:  # older sales are backfill, not latency
            sale_delays[imported.date()].append(seconds)
    last_change = (
        StockLedgerEntry.objects.filter(
            product=OuterRef("link__product"), created_at__lte=OuterRef("sent_at")
        )
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    stock_delays: dict[date, list[float]] = defaultdict(list)
    for sent_at, changed_at in (
        ItemShopState.objects.filter(link__company=company, sent_at__gte=start)
        .annotate(changed_at=Subquery(last_change))
        .exclude(changed_at=None)
        .order_by("-sent_at")
        .values_list("sent_at", "changed_at")[:3000]
    ):
        seconds = (sent_at - changed_at).total_seconds()
        if 0 <= seconds <= 86400:
            stock_delays[sent_at.date()].append(seconds)
    sale_stats = [_median_and_max(sale_delays[d]) for d in days]
    stock_stats = [_median_and_max(stock_delays[d]) for d in days]
    chart = line_chart(
        "Sync latency (median per day)",
        [f"{d:%b %d}" for d in days],
        [
            ("Sale → order", [m for m, _ in sale_stats]),
            ("Stock change → sent", [m for m, _ in stock_stats]),
        ],
        unit="seconds",
    )
    all_sales = [v for d in days for v in sale_delays[d]]
    all_stock = [v for d in days for v in stock_delays[d]]
    return chart, {"sale": _median_and_max(all_sales), "stock": _median_and_max(all_stock)}


def api_charts(company: Company, *, now: datetime):
    """Requests (and 429s) per hour, and the rate-limit headroom left at the fullest moment."""
    end = now.replace(minute=0, second=0, microsecond=0)
    hours = [end - timedelta(hours=API_HOURS - 1 - i) for i in range(API_HOURS)]
    rows = (
        SyncRun.objects.filter(company=company, started_at__gte=hours[0])
        .values(hour=TruncHour("started_at"))
        .annotate(
            requests=Sum("api_requests"),
            limited=Sum("api_rate_limited"),
            fullest=Max(
                Cast("api_bucket_peak", FloatField()) * 100.0 / Cast("api_bucket_size", FloatField()),
                filter=Q(api_bucket_size__gt=0),
            ),
        )
    )
    by_hour = {row["hour"]: row for row in rows}
    labels = [f"{h:%a %H}h" for h in hours]
    requests = [float(by_hour.get(h, {}).get("requests") or 0) for h in hours]
    limited = [float(by_hour.get(h, {}).get("limited") or 0) for h in hours]
    ok = [r - lim for r, lim in zip(requests, limited, strict=True)]
    headroom = [
        None
        if by_hour.get(h, {}).get("fullest") is None
        else round(max(0.0, 100.0 - by_hour[h]["fullest"]), 1)
        for h in hours
    ]
    requests_chart = bar_chart(
        f"API requests per hour (last {API_HOURS} h)",
        labels,
        [("answered", ok), ("429 rate-limited", limited)],
        unit="requests",
    )
    headroom_chart = line_chart(
        "Rate-limit headroom (lowest per hour)", labels, [("headroom", headroom)], unit="% free", y_max=100
    )
    return requests_chart, headroom_chart, {"requests": int(sum(requests)), "limited": int(sum(limited))}


def _labelled(issue: SyncIssue) -> SyncIssue:
    issue.kind_label = issue_kind_label(issue.kind)
    return issue


def company_dashboard(company: Company, *, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    settings_obj = LightspeedSettings.objects.filter(company=company).first()
    orders, orders_total = orders_chart(company, now=now)
    latency, latency_figures = latency_chart(company, now=now)
    requests_chart, headroom_chart, api_figures = api_charts(company, now=now)
    open_issues = SyncIssue.objects.filter(company=company, status=SyncIssue.Status.OPEN)
    freshness = freshness_overview([company], now=now)[company.pk]
    return {
        "company": company,
        "settings": settings_obj,
        "refusal": job_refusal(settings_obj)
        if settings_obj
        else "Lightspeed is not set up for this company.",
        "token_age": now - settings_obj.token_received_at
        if settings_obj and settings_obj.token_received_at
        else None,
        "jobs": job_states(company),
        "backlog": upload_backlog(company),
        "recent_runs": list(SyncRun.objects.filter(company=company).defer("counts", "api_statuses")[:15]),
        "issue_kinds": [
            {**row, "label": issue_kind_label(row["kind"])}
            for row in open_issues.values("kind").annotate(n=Count("id"), times=Sum("count")).order_by("-n")
        ],
        "issues": [_labelled(issue) for issue in open_issues.order_by("-last_seen_at")[:15]],
        "open_issue_count": open_issues.count(),
        "alerts": list(AlertNotice.objects.filter(company=company, cleared_at=None)),
        "charts": {
            "orders": orders,
            "latency": latency,
            "requests": requests_chart,
            "headroom": headroom_chart,
        },
        "figures": {"orders": orders_total, "latency": latency_figures, "api": api_figures},
        "freshness": freshness,
        "freshness_rows": [
            ("Sale → order", freshness.sale_to_order),
            ("Stock change → Lightspeed", freshness.stock_to_lightspeed),
        ],
        "now": now,
    }
