"""Freshness you can see: p50/p95 both ways over the last hour and the drip budget's split, per
company, from the samples the live loop records (selector; the dashboard and alert read it)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from integrations.commerce.models import User
from integrations.commerce.tests.factories import CompanyFactory
from integrations.lightspeed.live.services.freshness import Direction, api_usage_record, freshness_record
from integrations.lightspeed.models import AlertNotice, FreshnessSample, FreshnessThreshold, LiveState
from integrations.lightspeed.operations.selectors import freshness_overview
from integrations.lightspeed.operations.services.alerts import alerts_check_company

NOW = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)


def record(company_id: int, direction: str, delays: list[float], *, ago: timedelta = timedelta(minutes=5)):
    done = NOW - ago
    freshness_record(
        company_id=company_id,
        direction=direction,
        samples=[(f"k{i}", done - timedelta(seconds=s), done) for i, s in enumerate(delays)],
    )


def test_p50_and_p95_of_each_direction_come_from_the_last_hours_samples_only(company):
    other = CompanyFactory()
    record(company.pk, Direction.SALE_TO_ORDER, [float(s) for s in range(1, 21)])  # 1 … 20 s
    record(company.pk, Direction.SALE_TO_ORDER, [500.0] * 5, ago=timedelta(minutes=61))  # too old
    record(company.pk, Direction.STOCK_TO_LIGHTSPEED, [4.0, 6.0])
    record(other.pk, Direction.SALE_TO_ORDER, [900.0] * 3)

    fresh = freshness_overview([company], now=NOW)[company.pk]

    assert (fresh.sale_to_order.samples, fresh.sale_to_order.p50) == (20, 10.5)
    assert fresh.sale_to_order.p95 == pytest.approx(19.05)  # interpolated as percentile_cont does
    assert (fresh.stock_to_lightspeed.samples, fresh.stock_to_lightspeed.p50) == (2, 5.0)
    assert fresh.stock_to_lightspeed.p95 == pytest.approx(5.9)
    assert fresh.worst_p95 == pytest.approx(19.05)


def test_a_company_with_no_samples_has_no_percentiles_and_no_share_until_its_drip_rate_is_known(company):
    fresh = freshness_overview([company], now=NOW)[company.pk]

    assert (fresh.sale_to_order.samples, fresh.sale_to_order.p95, fresh.worst_p95) == (0, None, None)
    assert (fresh.poll_share, fresh.work_share) == (None, None)

    LiveState.objects.create(company=company, next_probe_at=NOW, drip_rate=2.0)
    fresh = freshness_overview([company], now=NOW)[company.pk]
    assert (fresh.poll_share, fresh.work_share) == (0.0, 0.0)


def test_polling_and_work_shares_are_drips_used_over_the_hours_drip_budget(company):
    # 1 drip/s: the hour's budget is 3,600 drips. 60 minutes of one probe every 10 s = 360 drips
    # (10 %); 900 drips of runs (25 %). Usage of two hours ago does not count.
    for minute in range(60):
        at = NOW - timedelta(minutes=minute, seconds=1)
        api_usage_record(company_id=company.pk, drips=6, requests=6, polling=True, drip_rate=1.0, at=at)
    api_usage_record(company_id=company.pk, drips=900, requests=400, polling=False, drip_rate=1.0, at=NOW)
    api_usage_record(
        company_id=company.pk, drips=3000, requests=9, polling=False, at=NOW - timedelta(hours=2)
    )

    fresh = freshness_overview([company], now=NOW)[company.pk]

    assert (fresh.poll_drips, fresh.work_drips, fresh.budget_drips) == (360, 900, 3600)
    assert fresh.poll_share == pytest.approx(0.10) and fresh.work_share == pytest.approx(0.25)


@pytest.mark.parametrize("how_many", [1, 30])
def test_the_overview_costs_three_queries_whatever_the_number_of_companies(
    how_many, db, django_assert_num_queries
):
    companies = CompanyFactory.create_batch(how_many)
    for company in companies:
        record(company.pk, Direction.SALE_TO_ORDER, [2.0, 3.0, 9.0])
        record(company.pk, Direction.STOCK_TO_LIGHTSPEED, [6.0])
        api_usage_record(company_id=company.pk, drips=5, requests=5, polling=True, drip_rate=1.0, at=NOW)
        LiveState.objects.create(company=company, next_probe_at=NOW, drip_rate=1.0)

    with django_assert_num_queries(3) as queries:
        overview = freshness_overview(companies, now=NOW)

    assert len(overview) == how_many
    # PostgreSQL computes the percentiles itself; SQLite sends the hour's values.
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert ("PERCENTILE_CONT" in sql) == (connection.vendor == "postgresql")
    assert {f.sale_to_order.p50 for f in overview.values()} == {3.0}


def _scrape(client, family: str) -> dict[str, float]:
    text = client.get("/metrics").content.decode()
    return {
        labels: float(value)
        for labels, value in re.findall(rf"^lightsync_lightspeed_{family}\{{([^}}]*)\}} (\S+)$", text, re.M)
    }


def test_metrics_histogram_counts_each_recorded_delay_in_its_bucket_across_processes(
    client, company, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        record(company.pk, Direction.SALE_TO_ORDER, [0.5, 3.0, 3.0, 12.0])
        record(company.pk, Direction.STOCK_TO_LIGHTSPEED, [7.0])
    with django_capture_on_commit_callbacks(execute=True):
        record(company.pk, Direction.SALE_TO_ORDER, [4000.0])  # a later run, maybe another worker

    buckets = _scrape(client, "freshness_seconds_bucket")
    series = f'company="{company.pk}",direction="sale_to_order"'
    assert [
        buckets[f'{series},le="{le}"'] for le in ("1.0", "2.0", "5.0", "10.0", "15.0", "3600.0", "+Inf")
    ] == [
        1,
        1,
        3,
        3,
        4,
        4,
        5,
    ]
    assert _scrape(client, "freshness_seconds_count")[series] == 5
    assert _scrape(client, "freshness_seconds_sum")[series] == pytest.approx(4018.5)
    stock = f'company="{company.pk}",direction="stock_to_lightspeed"'
    assert (buckets[f'{stock},le="5.0"'], buckets[f'{stock},le="10.0"']) == (0, 1)


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_import_adds_nothing_to_the_histogram(client):
    company = CompanyFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        record(company.pk, Direction.SALE_TO_ORDER, [3.0])
        raise RuntimeError("the import failed after measuring")
    record(company.pk, Direction.SALE_TO_ORDER, [7.0])  # outside a transaction: counted at once

    assert _scrape(client, "freshness_seconds_count") == {
        f'company="{company.pk}",direction="sale_to_order"': 1
    }
    assert FreshnessSample.objects.count() == 1


def test_metrics_gauge_the_last_hours_drips_by_use_per_company(client, company):
    other = CompanyFactory()
    now = timezone.now()
    api_usage_record(company_id=company.pk, drips=30, requests=30, polling=True, at=now)
    api_usage_record(company_id=company.pk, drips=120.5, requests=40, polling=False, at=now)
    api_usage_record(company_id=company.pk, drips=999, requests=9, polling=False, at=now - timedelta(hours=2))
    api_usage_record(company_id=other.pk, drips=6, requests=6, polling=True, at=now)

    drips = _scrape(client, "api_drips_last_hour")

    assert drips == {
        f'company="{company.pk}",use="polling"': 30,
        f'company="{company.pk}",use="work"': 120.5,
        f'company="{other.pk}",use="polling"': 6,
        f'company="{other.pk}",use="work"': 0,
    }


@pytest.fixture
def people(connected, merchant):
    from django.contrib.auth.models import Group

    from integrations.commerce import roles

    roles.roles_apply()
    merchant.groups.add(Group.objects.get(name=roles.MERCHANTS))
    ops = User.objects.create_user("ops", password="pw", email="ops@example.com", is_staff=True)
    ops.groups.add(Group.objects.get(name=roles.OPS_STAFF))
    return merchant, ops


def slow_then(company_id: int, *, earlier: float, latest: float, n: int = 12, at: datetime = NOW) -> None:
    """n sales measured in each of the alert's two 10-minute windows before `at`."""
    for ago, delay in ((timedelta(minutes=15), earlier), (timedelta(minutes=4), latest)):
        record(company_id, Direction.SALE_TO_ORDER, [delay] * n, ago=ago + (NOW - at))


def test_one_slow_window_is_a_spike_and_alerts_nobody(connected, people):
    slow_then(connected.company_id, earlier=5, latest=45)

    assert alerts_check_company(company_id=connected.company_id, now=NOW) == []
    assert mail.outbox == []


def test_p95_above_the_threshold_for_two_windows_alerts_once_and_resolves_when_it_falls_back(
    connected, people
):
    company_id = connected.company_id
    slow_then(company_id, earlier=40, latest=45)
    record(company_id, Direction.STOCK_TO_LIGHTSPEED, [3.0] * 30, ago=timedelta(minutes=4))

    sent = alerts_check_company(company_id=company_id, now=NOW)
    again = alerts_check_company(company_id=company_id, now=NOW + timedelta(minutes=1))

    assert [(n.kind, n.subject) for n in sent] == [("freshness", "Sale → order")] and again == []
    assert sorted(m.to[0] for m in mail.outbox) == ["merchant@example.com", "ops@example.com"]
    assert mail.outbox[0].subject == "[LightSync] Sale → order is slower than 30 s for Demo Outfitters"
    assert "p95 45.0 s over the last 10 minutes (12 samples)" in AlertNotice.objects.get().message

    later = NOW + timedelta(minutes=10)
    record(company_id, Direction.SALE_TO_ORDER, [4.0] * 12, ago=timedelta(minutes=3) - (later - NOW))
    alerts_check_company(company_id=company_id, now=later)

    assert AlertNotice.objects.get().cleared_at == later
    assert [m.subject for m in mail.outbox[2:]] == [
        "[LightSync] Resolved: Freshness (Sale → order) for Demo Outfitters"
    ] * 2


def test_too_few_samples_say_nothing(connected, people):
    slow_then(connected.company_id, earlier=90, latest=90, n=9)  # the default minimum is 10

    assert alerts_check_company(company_id=connected.company_id, now=NOW) == []


def test_a_slow_alert_resolves_when_the_shop_goes_quiet_and_nothing_more_is_measured(connected, people):
    slow_then(connected.company_id, earlier=40, latest=45)
    assert len(alerts_check_company(company_id=connected.company_id, now=NOW)) == 1

    closed = NOW + timedelta(minutes=10)  # no sale since: the latest window says nothing
    alerts_check_company(company_id=connected.company_id, now=closed)

    assert AlertNotice.objects.get().cleared_at == closed


def test_ops_staff_set_the_threshold_for_every_company_and_override_it_for_one(connected, people, settings):
    settings.LIGHTSPEED_ALERT_FRESHNESS_P95_SECONDS = 30
    company_id = connected.company_id
    slow_then(company_id, earlier=45, latest=45, n=4)
    FreshnessThreshold.objects.create(company=None, p95_seconds=60, min_samples=3)

    assert alerts_check_company(company_id=company_id, now=NOW) == []  # 45 s is under every company's 60

    FreshnessThreshold.objects.create(company=connected.company, p95_seconds=40, min_samples=4)
    assert len(alerts_check_company(company_id=company_id, now=NOW)) == 1
    assert "the threshold is 40 s" in AlertNotice.objects.get().message


def test_only_ops_staff_open_the_threshold_admin_and_one_default_is_allowed(client, connected, people):
    merchant, ops = people
    url = reverse("admin:lightspeed_freshnessthreshold_add")

    client.force_login(merchant)
    assert client.get(url).status_code == 403
    assert client.get(reverse("admin:lightspeed_freshnessthreshold_changelist")).status_code == 403

    client.force_login(ops)
    assert client.post(url, {"company": "", "p95_seconds": "20", "min_samples": "5"}).status_code == 302
    second = client.post(url, {"company": "", "p95_seconds": "25", "min_samples": "5"})
    assert second.status_code == 200 and "already a threshold" in second.content.decode()
    assert list(FreshnessThreshold.objects.values_list("company", "p95_seconds")) == [(None, 20)]


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_the_company_dashboard_shows_the_last_hours_freshness_both_ways_and_the_budget_line(
    client, connected, people
):
    company_id, now = connected.company_id, timezone.now()
    merchant, _ = people
    for delays, direction in (
        ([2.0, 4.0, 6.0, 30.0], Direction.SALE_TO_ORDER),
        ([5.0], Direction.STOCK_TO_LIGHTSPEED),
    ):
        freshness_record(
            company_id=company_id,
            direction=direction,
            samples=[
                (str(i), now - timedelta(minutes=2, seconds=s), now - timedelta(minutes=2))
                for i, s in enumerate(delays)
            ],
        )
    api_usage_record(company_id=company_id, drips=1188, requests=1188, polling=True, drip_rate=5.5, at=now)
    api_usage_record(company_id=company_id, drips=4950, requests=900, polling=False, drip_rate=5.5, at=now)
    client.force_login(merchant)

    text = _text(client.get(reverse("admin:lightspeed_dashboard_changelist")))

    # 4 sales: p50 between 4 and 6, p95 interpolated 6 → 30; the hour's budget 5.5 × 3600 = 19,800 drips.
    assert "Sale → order: p50 5.0 s , p95 26.4 s (4 measured)" in text
    assert "Stock change → Lightspeed: p50 5.0 s , p95 5.0 s (1 measured)" in text
    assert "Drip budget: polling 6.0 %, work 25.0 % (of 5.5 drips/s for an hour)" in text


def test_a_company_with_nothing_measured_says_so(client, connected, people):
    client.force_login(people[0])

    text = _text(client.get(reverse("admin:lightspeed_dashboard_changelist")))

    assert "Sale → order: nothing measured" in text
    assert "Drip budget: not known yet" in text


def test_the_ops_overview_has_each_companys_freshness_p95(client, connected, people):
    harbor = CompanyFactory(name="Harbor Goods")
    now = timezone.now()
    for company_id, delay in ((connected.company_id, 8.0), (harbor.pk, 42.0)):
        freshness_record(
            company_id=company_id,
            direction=Direction.SALE_TO_ORDER,
            samples=[("1", now - timedelta(seconds=delay), now)],
        )
    client.force_login(people[1])

    html = client.get(reverse("admin:lightspeed_dashboard_changelist"), {"all": "1"}).content.decode()

    cells = dict(re.findall(r"<strong>([^<]+)</strong></td>.*?ls-freshness\">([^<]*)<", html, re.S))
    assert cells == {"Demo Outfitters": "sale → order 8.0 s", "Harbor Goods": "sale → order 42.0 s"}
