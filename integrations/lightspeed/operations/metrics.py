"""Prometheus metrics of the Lightspeed channel, kept in and read from the database.

Counters are raised wherever the work happens (a worker, beat, a command, the web process) by
adding to `MetricCounter` rows; `/metrics` reads them back through `DatabaseCollector`, together
with gauges read from the live tables (rate-limit buckets, open issues, connections, runs in
progress, drips of the last hour). So every web process on every machine reports the same numbers,
and a counter raised in a worker that has since exited is not lost — which a per-process registry
cannot promise. The freshness histogram is kept the same way: one counter row per bucket (the
observations that fell in it, made cumulative at scrape time) and one for the sum.
"""

from __future__ import annotations

import bisect
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Sum
from django.utils import timezone
from django.utils.crypto import salted_hmac
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from integrations.core.locks import redis_client
from integrations.lightspeed.api.transport import ClientStats
from integrations.lightspeed.connection.services.pacing import DB_BURST_SUFFIX, REDIS_BURST_SUFFIX
from integrations.lightspeed.models import (
    ApiBucket,
    ApiUsageMinute,
    LightspeedSettings,
    MetricCounter,
    SyncIssue,
    SyncRun,
)

PREFIX = "lightsync_lightspeed_"

# name → (help, label names). Only these are exported; a typo in a name fails loudly.
COUNTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "runs": ("Runs of each job, by outcome.", ("job", "outcome")),
    "run_failures": ("Failed runs of each job.", ("job",)),
    "records": (
        "Records a job handled, by result (created, updated, unchanged, skipped, failed).",
        ("job", "result"),
    ),
    "orders_imported": ("Lightspeed sales imported as orders.", ()),
    "items_sent": ("Items whose stock, price or cost was sent to Lightspeed.", ()),
    "api_requests": (
        "Requests made to the Lightspeed API, by HTTP status (or timeout/connection_error).",
        ("status",),
    ),
    "api_rate_limit_cost": ("Drips spent against Lightspeed's rate-limit bucket.", ()),
    "token_refreshes": ("Lightspeed token refreshes, by result (succeeded, failed).", ("result",)),
    "alerts_sent": ("Alert emails sent, by kind.", ("kind",)),
}
# Which count of which job feeds the two headline counters (the jobs' own words, see
# services/sale_import.py and services/catalog_upload.py).
ORDERS_IMPORTED_COUNTS = {("orders", "orders")}
ITEMS_SENT_COUNTS = {("upload", "items_sent")}

# The freshness histogram's upper bounds in seconds (+Inf added): the 10 s target sits on a bound.
FRESHNESS_BUCKETS = (1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)
_FRESHNESS_BUCKET = "freshness_seconds_bucket"  # MetricCounter rows: observations in that bucket only
_FRESHNESS_SUM_MS = "freshness_seconds_sum_ms"  # and their sum, in milliseconds (counters are integers)
API_USAGE_WINDOW = timedelta(hours=1)


def _labels_key(labels: dict[str, Any]) -> str:
    return ",".join(f"{name}={labels[name]}" for name in sorted(labels))


def _labels_from_key(key: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in key.split(",") if part)


def counter_add(name: str, amount: float = 1, **labels: Any) -> None:
    """Adds `amount` to a counter, for every process that serves /metrics."""
    if name not in COUNTERS:
        raise KeyError(f"Unknown metric counter {name!r}.")
    expected = set(COUNTERS[name][1])
    if set(labels) != expected:
        raise ValueError(f"Counter {name!r} takes the labels {sorted(expected)}, not {sorted(labels)}.")
    _increment(name, _labels_key(labels), amount)


def _increment(name: str, key: str, amount: float) -> None:
    amount = int(round(amount))
    if amount <= 0:
        return
    if MetricCounter.objects.filter(name=name, labels=key).update(value=F("value") + amount):
        return
    try:
        with transaction.atomic():
            MetricCounter.objects.create(name=name, labels=key, value=amount)
    except IntegrityError:  # another process created it first
        MetricCounter.objects.filter(name=name, labels=key).update(value=F("value") + amount)


def freshness_observed(*, company_id: int, direction: str, seconds: Iterable[float]) -> None:
    """Adds measured delays to the freshness histogram: one row update per bucket they fall in."""
    seconds = list(seconds)
    per_bucket = Counter(bisect.bisect_left(FRESHNESS_BUCKETS, value) for value in seconds)
    if not per_bucket:
        return
    labels = {"company": company_id, "direction": direction}
    bounds = (*FRESHNESS_BUCKETS, float("inf"))
    for index, n in sorted(per_bucket.items()):
        _increment(_FRESHNESS_BUCKET, _labels_key({**labels, "le": floatToGoString(bounds[index])}), n)
    _increment(_FRESHNESS_SUM_MS, _labels_key(labels), sum(seconds) * 1000)


def run_counted(run: SyncRun, stats: ClientStats | None) -> None:
    """Counts a finished run: its outcome, what it did and what it asked of Lightspeed."""
    counter_add("runs", job=run.job, outcome=run.outcome)
    if run.outcome == SyncRun.Outcome.FAILED:
        counter_add("run_failures", job=run.job)
    if not run.dry_run:
        for result, value in (run.counts or {}).items():
            if not isinstance(value, int) or isinstance(value, bool):
                continue
            counter_add("records", value, job=run.job, result=result)
            if (run.job, result) in ORDERS_IMPORTED_COUNTS:
                counter_add("orders_imported", value)
            if (run.job, result) in ITEMS_SENT_COUNTS:
                counter_add("items_sent", value)
    if stats is not None:
        for status, value in stats.statuses.items():
            counter_add("api_requests", value, status=status)
        counter_add("api_rate_limit_cost", stats.cost)


def _redis_buckets() -> Iterator[tuple[str, float, float]]:
    redis = redis_client()
    if redis is None:
        return
    prefix = "lightsync:bucket:"
    for raw_key in redis.scan_iter(f"{prefix}*", count=500):
        if raw_key.decode().endswith(REDIS_BURST_SUFFIX):
            continue  # the burst limiter's window, not a bucket
        values = redis.hmget(raw_key, "level", "size", "drip", "at")
        if values[0] is None:
            continue
        level, size, drip = (float(v or 0) for v in values[:3])
        at = float(values[3] or time.time())
        yield raw_key.decode()[len(prefix) :], max(0.0, level - drip * max(0.0, time.time() - at)), size


def _database_buckets() -> Iterator[tuple[str, float, float]]:
    now = time.time()
    for bucket in ApiBucket.objects.exclude(key__endswith=DB_BURST_SUFFIX):
        drained = bucket.drip_rate * max(0.0, now - bucket.observed_at) if bucket.observed_at else 0.0
        yield bucket.key, max(0.0, bucket.level - drained), bucket.size


def _companies_by_account() -> dict[str, list[int]]:
    companies: dict[str, list[int]] = {}
    for account_id, company_id in LightspeedSettings.objects.exclude(account_id="").values_list(
        "account_id", "company_id"
    ):
        companies.setdefault(account_id, []).append(company_id)
    return companies


def bucket_label(key: str, companies_by_account: dict[str, list[int]]) -> str:
    """A bucket's `bucket` label, which names no merchant's Lightspeed account.

    A bucket is keyed by API host and account id ("api.lightspeedapp.com:100001"); the label keeps
    the host and puts our own company id in place of the account ("api.lightspeedapp.com:company-7").
    An account no single company holds (disconnected since, or shared) gets a short keyed hash
    instead: stable while SECRET_KEY is, and not reversible by trying every account number.
    """
    host, _, account = key.rpartition(":")
    companies = companies_by_account.get(account, [])
    if len(companies) == 1:
        who = f"company-{companies[0]}"
    else:
        who = f"account-{salted_hmac('lightsync.metrics.bucket', account).hexdigest()[:12]}"
    return f"{host}:{who}" if host else who


class DatabaseCollector(Collector):
    """Reads every Lightspeed metric from the database at scrape time."""

    def collect(self) -> Iterable[Metric]:
        families: dict[str, CounterMetricFamily] = {
            name: CounterMetricFamily(f"{PREFIX}{name}", help_text, labels=list(label_names))
            for name, (help_text, label_names) in COUNTERS.items()
        }
        seen: set[str] = set()
        for counter in MetricCounter.objects.filter(name__in=COUNTERS).order_by("name", "labels"):
            labels = _labels_from_key(counter.labels)
            names = COUNTERS[counter.name][1]
            families[counter.name].add_metric([labels.get(n, "") for n in names], counter.value)
            seen.add(counter.name)
        for name, (_, label_names) in COUNTERS.items():
            if not label_names and name not in seen:
                families[name].add_metric([], 0)  # a plain counter exists from the start
        yield from families.values()
        yield _freshness_histogram()
        yield _drips_last_hour()

        level = GaugeMetricFamily(
            f"{PREFIX}rate_limit_bucket_level",
            "Drips in Lightspeed's bucket now (estimated).",
            labels=["bucket"],
        )
        size = GaugeMetricFamily(
            f"{PREFIX}rate_limit_bucket_size", "Size of Lightspeed's bucket.", labels=["bucket"]
        )
        companies = _companies_by_account()
        for key, current, bucket_size in (*_database_buckets(), *_redis_buckets()):
            label = bucket_label(key, companies)
            level.add_metric([label], round(current, 3))
            size.add_metric([label], bucket_size)
        yield level
        yield size

        issues = GaugeMetricFamily(f"{PREFIX}open_issues", "Open sync issues, by kind.", labels=["kind"])
        for row in (
            SyncIssue.objects.filter(status=SyncIssue.Status.OPEN).values("kind").annotate(n=Count("id"))
        ):
            issues.add_metric([row["kind"]], row["n"])
        yield issues

        connections = GaugeMetricFamily(
            f"{PREFIX}connections", "Companies by Lightspeed connection status.", labels=["status", "enabled"]
        )
        for row in LightspeedSettings.objects.values("connection_status", "enabled").annotate(n=Count("id")):
            connections.add_metric([row["connection_status"], str(row["enabled"]).lower()], row["n"])
        yield connections

        running = GaugeMetricFamily(f"{PREFIX}runs_in_progress", "Runs in progress, by job.", labels=["job"])
        for row in (
            SyncRun.objects.filter(outcome=SyncRun.Outcome.RUNNING).values("job").annotate(n=Count("id"))
        ):
            running.add_metric([row["job"]], row["n"])
        yield running


def _freshness_histogram() -> HistogramMetricFamily:
    histogram = HistogramMetricFamily(
        f"{PREFIX}freshness_seconds",
        "Delay from a sale's completion to its order (sale_to_order), and from a committed stock "
        "change to Lightspeed's 200 (stock_to_lightspeed).",
        labels=["company", "direction"],
    )
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    sums: dict[tuple[str, str], int] = {}
    for name, key, value in MetricCounter.objects.filter(
        name__in=(_FRESHNESS_BUCKET, _FRESHNESS_SUM_MS)
    ).values_list("name", "labels", "value"):
        labels = _labels_from_key(key)
        series = (labels.get("company", ""), labels.get("direction", ""))
        if name == _FRESHNESS_SUM_MS:
            sums[series] = value
        else:
            counts[series][labels.get("le", "")] = value
    bounds = [floatToGoString(b) for b in (*FRESHNESS_BUCKETS, float("inf"))]
    for series in sorted(counts, key=lambda s: (int(s[0]) if s[0].isdigit() else 0, s)):
        cumulative, buckets = 0, []
        for bound in bounds:
            cumulative += counts[series].get(bound, 0)
            buckets.append((bound, cumulative))
        histogram.add_metric(list(series), buckets, sum_value=sums.get(series, 0) / 1000)
    return histogram


def _drips_last_hour() -> GaugeMetricFamily:
    gauge = GaugeMetricFamily(
        f"{PREFIX}api_drips_last_hour",
        "Drips spent against Lightspeed's bucket in the last hour, by use: polling (the change probe) "
        "or work (job runs).",
        labels=["company", "use"],
    )
    rows = (
        ApiUsageMinute.objects.filter(minute__gte=timezone.now() - API_USAGE_WINDOW)
        .values("company_id")
        .annotate(poll=Sum("poll_drips"), work=Sum("work_drips"))
        .order_by("company_id")
    )
    for row in rows:
        gauge.add_metric([str(row["company_id"]), "polling"], round(row["poll"] or 0, 3))
        gauge.add_metric([str(row["company_id"]), "work"], round(row["work"] or 0, 3))
    return gauge
