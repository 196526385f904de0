"""The ops overview at fleet size: problems first, 50 a page, a search, filters kept in the query
string, a summary of the fleet, and the same number of queries for 5 companies as for 60."""

from __future__ import annotations

import html as html_lib
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from integrations.commerce import roles
from integrations.commerce.models import Company, User
from integrations.lightspeed.models import ConnectionStatus, LightspeedSettings, SyncIssue, SyncRun
from integrations.lightspeed.operations import selectors

DASHBOARD = "admin:lightspeed_dashboard_changelist"
ROW = re.compile(r'<tr class="ls-row[^"]*" data-company="\d+">\s*<td><strong>([^<]+)</strong>')


@pytest.fixture
def groups(db):
    roles.roles_apply()
    return Group.objects.get(name=roles.MERCHANTS), Group.objects.get(name=roles.OPS_STAFF)


@pytest.fixture
def ops_client(client, groups):
    user = User.objects.create_user("ops", password="pw", is_staff=True)
    user.groups.add(groups[1])
    client.force_login(user)
    return client


def _company(name: str, *, connected: bool = True, enabled: bool = True, **settings) -> Company:
    company = Company.objects.create(name=name)
    fields = {"enabled": enabled}
    if connected:
        fields.update(
            refresh_token="r1",
            auth_token="a1",
            token_received_at=timezone.now() - timedelta(days=3),
            connection_status=ConnectionStatus.CONNECTED,
        )
    fields.update(settings)
    LightspeedSettings.objects.update_or_create(company=company, defaults=fields)
    return company


def _run(company, job="orders", outcome=SyncRun.Outcome.SUCCEEDED, ago=timedelta(minutes=5), error=""):
    started = timezone.now() - ago
    return SyncRun.objects.create(
        company=company, job=job, outcome=outcome, started_at=started, finished_at=started, error=error
    )


def _healthy(name: str) -> Company:
    company = _company(name)
    _run(company)
    return company


def _issue(company, key="1", kind="unmatched_item"):
    SyncIssue.objects.create(company=company, kind=kind, key=key, message=f"issue {key}")


def _listed(response) -> list[str]:
    assert response.status_code == 200
    return [html_lib.unescape(name) for name in ROW.findall(response.content.decode())]


def _links(response, rel: str) -> list[str]:
    return [
        html_lib.unescape(href)
        for href in re.findall(rf'<a href="([^"]+)" rel="{rel}">', response.content.decode())
    ]


def test_problems_come_first_worst_first_and_healthy_companies_after_them(ops_client):
    _healthy("Aardvark Healthy")
    _company("Broken Token", connection_status=ConnectionStatus.REAUTHORIZATION_REQUIRED)
    _company("Cut Off", connected=False)  # enabled, never connected
    failing = _company("Failing Orders")
    _run(failing, outcome=SyncRun.Outcome.FAILED, error="HTTP 500 from Lightspeed")
    issues = _healthy("Has Issues")
    _issue(issues)
    stale = _company("Gone Quiet")
    _run(stale, ago=timedelta(hours=3))
    recovered = _healthy("Recovered")
    _run(recovered, job="upload", outcome=SyncRun.Outcome.FAILED, ago=timedelta(hours=5), error="timeout")
    _run(recovered, job="upload", ago=timedelta(hours=4))
    _company("Not Set Up", connected=False, enabled=False)

    assert _listed(ops_client.get(reverse(DASHBOARD), {"all": "1"})) == [
        "Broken Token",
        "Cut Off",
        "Failing Orders",
        "Has Issues",
        "Gone Quiet",
        "Recovered",
        "Aardvark Healthy",
        "Not Set Up",
    ]
    html = ops_client.get(reverse(DASHBOARD)).content.decode()
    assert "Aardvark Healthy" not in html and "Not Set Up" not in html  # problems only by default
    assert "No success for over two hours" in html and "HTTP 500 from Lightspeed" in html


def test_fifty_companies_a_page_and_the_paging_links_keep_the_search_and_filters(ops_client):
    for i in range(60):
        _issue(_healthy(f"Harbor {i:02d}"))
    for i in range(5):
        _issue(_healthy(f"Other {i}"))
    _healthy("Harbor Without Issues")
    query = {"q": "harbor", "issues": "1", "window": "7d", "all": "1"}

    first = ops_client.get(reverse(DASHBOARD), query)

    assert _listed(first) == [f"Harbor {i:02d}" for i in range(50)]
    assert "Page 1 of 2 (60 companies)" in first.content.decode()
    (next_link,) = _links(first, "next")
    assert set(re.findall(r"[?&]([a-z]+)=", next_link)) == {"q", "issues", "window", "all", "page"}
    second = ops_client.get(reverse(DASHBOARD) + next_link)
    assert _listed(second) == [f"Harbor {i:02d}" for i in range(50, 60)]
    (previous_link,) = _links(second, "prev")
    assert _listed(ops_client.get(reverse(DASHBOARD) + previous_link)) == _listed(first)
    # A page past the end shows the last page rather than an error.
    assert _listed(ops_client.get(reverse(DASHBOARD), {**query, "page": "9"})) == _listed(second)


def test_the_search_finds_companies_by_any_part_of_their_name(ops_client):
    for name in ("Harbor Goods", "Northern Harbour", "Demo Outfitters"):
        _issue(_healthy(name))

    assert _listed(ops_client.get(reverse(DASHBOARD), {"q": "HARBO"})) == ["Harbor Goods", "Northern Harbour"]
    assert _listed(ops_client.get(reverse(DASHBOARD), {"q": "outfit"})) == ["Demo Outfitters"]
    no_match = ops_client.get(reverse(DASHBOARD), {"q": "nobody"}).content.decode()
    assert "No company matches these filters." in no_match and "All clear" not in no_match


def test_the_connection_filter_shows_one_state_or_every_lost_connection(ops_client):
    _healthy("Connected Shop")
    _company("Needs Reauth", connection_status=ConnectionStatus.REAUTHORIZATION_REQUIRED)
    _company("Enabled Unconnected", connected=False)
    _company("Switched Off", connected=False, enabled=False)

    def listed(state):
        return _listed(ops_client.get(reverse(DASHBOARD), {"connection": state, "all": "1"}))

    assert listed("connected") == ["Connected Shop"]
    assert listed("reauthorization_required") == ["Needs Reauth"]
    assert listed("disconnected") == ["Enabled Unconnected"]
    assert listed("not_connected") == ["Switched Off"]
    assert listed("lost") == ["Needs Reauth", "Enabled Unconnected"]
    assert len(listed("nonsense")) == 4  # an unknown value narrows nothing


def test_the_failing_job_filter_shows_companies_whose_latest_attempt_of_that_job_failed(ops_client):
    orders = _healthy("Orders Failing")
    _run(orders, outcome=SyncRun.Outcome.FAILED, ago=timedelta(minutes=1), error="boom")
    upload = _healthy("Upload Failing")
    _run(upload, job="upload", outcome=SyncRun.Outcome.FAILED, error="refused")
    recovered = _healthy("Orders Recovered")
    _run(recovered, outcome=SyncRun.Outcome.FAILED, ago=timedelta(hours=1), error="once")

    def listed(job):
        return _listed(ops_client.get(reverse(DASHBOARD), {"failing": job, "all": "1"}))

    assert listed("orders") == ["Orders Failing"]
    assert listed("upload") == ["Upload Failing"]
    assert listed("any") == ["Orders Failing", "Upload Failing"]
    assert listed("reconcile") == []


def test_the_open_issues_filter_leaves_out_companies_whose_issues_are_resolved(ops_client):
    open_ = _healthy("Open Issue")
    _issue(open_)
    resolved = _healthy("Resolved Issue")
    _issue(resolved)
    SyncIssue.objects.filter(company=resolved).update(status=SyncIssue.Status.RESOLVED)
    _healthy("No Issue")

    assert _listed(ops_client.get(reverse(DASHBOARD), {"issues": "1", "all": "1"})) == ["Open Issue"]


def test_the_summary_counts_the_whole_fleet_and_links_to_each_filtered_view(ops_client):
    _healthy("Fine")
    _company("Reauth", connection_status=ConnectionStatus.REAUTHORIZATION_REQUIRED)
    _company("Cut Off", connected=False)
    failing = _healthy("Failing")
    _run(failing, job="upload", outcome=SyncRun.Outcome.FAILED, error="x")

    response = ops_client.get(reverse(DASHBOARD), {"q": "Fine"})  # the summary ignores the search

    summary = re.search(r'<p class="ls-summary" id="ls-summary">(.*?)</p>', response.content.decode(), re.S)[
        1
    ]
    links = {
        html_lib.unescape(text.strip()): html_lib.unescape(href)
        for href, text in re.findall(r'<a href="([^"]+)">([^<]+)</a>', summary)
    }
    assert set(links) == {"4 companies", "3 with problems", "2 disconnected", "1 with a failing job"}
    assert _listed(ops_client.get(reverse(DASHBOARD) + links["4 companies"])) == [
        "Reauth",
        "Cut Off",
        "Failing",
        "Fine",
    ]
    assert _listed(ops_client.get(reverse(DASHBOARD) + links["3 with problems"])) == [
        "Reauth",
        "Cut Off",
        "Failing",
    ]
    assert _listed(ops_client.get(reverse(DASHBOARD) + links["2 disconnected"])) == ["Reauth", "Cut Off"]
    assert _listed(ops_client.get(reverse(DASHBOARD) + links["1 with a failing job"])) == ["Failing"]


def _fleet(start: int, count: int) -> None:
    """Companies with every kind of figure the page shows: runs of several jobs, failures, issues."""
    for i in range(start, start + count):
        company = _healthy(f"Fleet {i:03d}")
        _run(company, job="upload", ago=timedelta(minutes=2))
        if i % 2:
            _run(company, job="products", outcome=SyncRun.Outcome.FAILED, error=f"error {i}")
        if i % 3:
            _issue(company, key=str(i))
            _issue(company, key=f"w{i}", kind="write_refused")


def _queries_for_one_page(client, query) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(DASHBOARD), query)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "query", [{}, {"all": "1"}, {"all": "1", "q": "Fleet", "failing": "products", "issues": "1"}]
)
def test_a_page_costs_the_same_number_of_queries_for_5_companies_as_for_60(ops_client, query):
    _fleet(0, 5)
    with_5 = _queries_for_one_page(ops_client, query)
    _fleet(5, 55)

    with_60 = _queries_for_one_page(ops_client, query)

    assert with_60 == with_5
    assert len(_listed(ops_client.get(reverse(DASHBOARD), query))) > 5  # the page did grow


def test_the_overview_selector_gives_each_companys_counts_and_last_successes(db):
    company = _company("Counted")
    orders_ok = _run(company, ago=timedelta(hours=2))
    _run(company, outcome=SyncRun.Outcome.FAILED, ago=timedelta(hours=1), error="boom")
    _run(company, job="upload", outcome=SyncRun.Outcome.FAILED, ago=timedelta(days=5), error="old")
    upload_ok = _run(company, job="upload", ago=timedelta(days=4))
    _run(company, job="shops", outcome=SyncRun.Outcome.RUNNING, ago=timedelta(seconds=5))
    _issue(company, key="a")
    _issue(company, key="b")

    (row,) = selectors.company_overview(Company.objects.filter(pk=company.pk), window=timedelta(days=3))

    assert (row.failed_runs, row.open_issues, row.failing_job_count) == (1, 2, 1)
    assert (row.last_outcome_orders, row.last_outcome_upload, row.last_outcome_shops) == (
        "failed",
        "succeeded",
        None,  # a run still running is not an attempt yet
    )
    assert (row.last_success_orders, row.last_success_upload) == (orders_ok.started_at, upload_ok.started_at)
    assert row.last_success_at == orders_ok.started_at
    assert row.connection_state == selectors.CONNECTED
    assert selectors.PROBLEMS[row.problem].label == "Failing job"


def test_a_merchant_gets_their_own_dashboard_whatever_the_overview_filters_say(client, groups):
    mine = _healthy("Demo Outfitters")
    _issue(_healthy("Harbor Goods"))
    merchant = User.objects.create_user("merchant", password="pw", company=mine, is_staff=True)
    merchant.groups.add(groups[0])
    client.force_login(merchant)

    response = client.get(reverse(DASHBOARD), {"all": "1", "q": "Harbor", "connection": "lost", "page": "2"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Lightspeed operations — Demo Outfitters" in html
    assert "Harbor Goods" not in html and 'id="ls-overview"' not in html
