"""The operations dashboard: per company for merchants, across companies for ops staff."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from integrations.commerce import roles
from integrations.commerce.models import Company, User
from integrations.lightspeed.models import ConnectionStatus, LightspeedSettings, SyncIssue, SyncRun

DASHBOARD = "admin:lightspeed_dashboard_changelist"


@pytest.fixture
def groups(db):
    roles.roles_apply()
    return Group.objects.get(name=roles.MERCHANTS), Group.objects.get(name=roles.OPS_STAFF)


@pytest.fixture
def harbor(db) -> Company:
    return Company.objects.create(name="Harbor Goods")


@pytest.fixture
def merchant_client(client, connected, groups):
    user = User.objects.create_user("merchant", password="pw", company=connected.company, is_staff=True)
    user.groups.add(groups[0])
    client.force_login(user)
    return client


@pytest.fixture
def ops_client(client, groups):
    user = User.objects.create_user("ops", password="pw", is_staff=True)
    user.groups.add(groups[1])
    client.force_login(user)
    return client


def _run(company, job="shops", outcome=SyncRun.Outcome.SUCCEEDED, ago=timedelta(minutes=5), **fields):
    started = timezone.now() - ago
    return SyncRun.objects.create(
        company=company,
        job=job,
        outcome=outcome,
        started_at=started,
        finished_at=started + timedelta(seconds=3),
        **fields,
    )


def test_a_merchant_sees_their_companys_jobs_issues_and_charts(merchant_client, connected):
    _run(connected.company, api_requests=4, api_bucket_peak=30, api_bucket_size=90)
    _run(
        connected.company,
        job="tokens",
        outcome=SyncRun.Outcome.FAILED,
        error="Lightspeed did not answer in time",
    )
    SyncIssue.objects.create(
        company=connected.company,
        kind="unmatched_item",
        key="210000001",
        message="Item 210000001 matches no product",
    )

    response = merchant_client.get(reverse(DASHBOARD))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Lightspeed operations — Demo Outfitters" in html
    assert "Connected" in html and "Item 210000001 matches no product" in html
    assert "Lightspeed did not answer in time" in html
    assert html.count("<svg") >= 4  # orders, latency, requests, headroom
    assert "cdn" not in html.lower()
    assert "Sync now" in html


def test_a_merchant_cannot_open_another_companys_dashboard(merchant_client, connected, harbor):
    SyncIssue.objects.create(company=harbor, kind="unmatched_item", key="9", message="Harbor's secret item")

    response = merchant_client.get(reverse(DASHBOARD), {"company": harbor.pk})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Demo Outfitters" in html and "Harbor" not in html


def test_ops_staff_see_only_companies_that_need_attention_worst_first(ops_client, connected, harbor):
    quiet = Company.objects.create(name="Quiet Shop")
    _run(quiet)  # all good
    _run(
        connected.company,
        job="shops",
        outcome=SyncRun.Outcome.FAILED,
        error="HTTP 500 from Lightspeed",
        ago=timedelta(hours=30),
    )
    LightspeedSettings.objects.filter(company=harbor).update(
        connection_status=ConnectionStatus.REAUTHORIZATION_REQUIRED, connection_error="invalid_grant"
    )

    response = ops_client.get(reverse(DASHBOARD))

    html = response.content.decode()
    assert "Quiet Shop" not in html
    assert html.index("Harbor Goods") < html.index("Demo Outfitters")  # lost connection first
    assert "Re-authorization required" in html and "HTTP 500 from Lightspeed" in html
    assert "Quiet Shop" in ops_client.get(reverse(DASHBOARD), {"all": "1"}).content.decode()


def test_a_weekend_failure_shows_in_the_three_day_window_not_in_the_last_24_hours(ops_client, connected):
    _run(connected.company, outcome=SyncRun.Outcome.FAILED, error="boom", ago=timedelta(hours=50))
    _run(connected.company, outcome=SyncRun.Outcome.SUCCEEDED, ago=timedelta(hours=1))

    assert "Demo Outfitters" in ops_client.get(reverse(DASHBOARD), {"window": "3d"}).content.decode()
    assert "Demo Outfitters" not in ops_client.get(reverse(DASHBOARD), {"window": "24h"}).content.decode()


def test_the_overview_takes_a_constant_number_of_queries(
    ops_client, connected, django_assert_max_num_queries
):
    for i in range(30):
        company = Company.objects.create(name=f"Shop {i:02d}")
        _run(company, outcome=SyncRun.Outcome.FAILED, error="boom")
        SyncIssue.objects.create(company=company, kind="write_refused", key=str(i), message="no")
    with django_assert_max_num_queries(20):
        response = ops_client.get(reverse(DASHBOARD))
    assert response.content.decode().count('class="ls-row') == 30


def test_sync_now_queues_the_job_after_commit_and_says_so(
    merchant_client, connected, monkeypatch, django_capture_on_commit_callbacks
):
    from integrations.lightspeed import tasks

    sent = []
    monkeypatch.setattr(tasks.lightspeed_download_shops, "apply_async", lambda *a, **kw: sent.append((a, kw)))

    with django_capture_on_commit_callbacks(execute=True):
        response = merchant_client.post(
            reverse("admin:lightspeed_dashboard_sync_now"),
            {"company": connected.company_id, "job": "shops"},
            follow=True,
        )

    assert sent == [((), {"args": [connected.company_id], "kwargs": {"trigger": "manual"}})]
    assert "the shops job is queued" in response.content.decode()


def test_sync_now_refuses_while_the_connection_needs_reauthorization(merchant_client, connected, monkeypatch):
    connected.connection_status = ConnectionStatus.REAUTHORIZATION_REQUIRED
    connected.connection_error = "invalid_grant"
    connected.save()

    page = merchant_client.get(reverse(DASHBOARD)).content.decode()
    buttons = re.findall(r"<button[^>]*>Sync now</button>", page)
    assert buttons and all("disabled" in b and "Re-authorization required" in b for b in buttons)

    response = merchant_client.post(
        reverse("admin:lightspeed_dashboard_sync_now"),
        {"company": connected.company_id, "job": "shops"},
        follow=True,
    )

    assert "shops not queued — Re-authorization required" in response.content.decode()


def test_runs_in_progress_report_live_progress(merchant_client, connected):
    run = SyncRun.objects.create(
        company=connected.company, job="shops", progress_done=40, progress_total=120, api_requests=3
    )

    data = merchant_client.get(reverse("admin:lightspeed_dashboard_live")).json()

    assert data["running"][0]["id"] == run.pk
    assert (data["running"][0]["done"], data["running"][0]["total"], data["running"][0]["requests"]) == (
        40,
        120,
        3,
    )
    assert "running: 40 of 120 done" in merchant_client.get(reverse(DASHBOARD)).content.decode()


def test_a_user_without_a_company_cannot_open_the_dashboard(client, groups):
    user = User.objects.create_user("drifter", password="pw", is_staff=True)
    user.groups.add(groups[0])
    client.force_login(user)

    assert client.get(reverse(DASHBOARD)).status_code == 403


def test_the_sync_runs_list_shows_a_running_runs_progress_and_a_finished_runs_cost(
    merchant_client, connected
):
    running = SyncRun.objects.create(
        company=connected.company, job="upload", progress_done=7, progress_total=20, api_requests=8
    )
    done = _run(connected.company, api_requests=12, api_cost=14.4, counts={"shops_created": 3})

    html = merchant_client.get(reverse("admin:lightspeed_syncrun_changelist")).content.decode()

    assert "7 of 20 done, 8 requests" in html and "shops_created 3" in html and "14.40" in html
    assert (
        merchant_client.get(reverse("admin:lightspeed_syncrun_change", args=[running.pk])).status_code == 200
    )
    assert merchant_client.get(reverse("admin:lightspeed_syncrun_change", args=[done.pk])).status_code == 200


def test_an_issue_page_offers_the_actions_that_apply(merchant_client, connected):
    unmatched = SyncIssue.objects.create(
        company=connected.company, kind="unmatched_item", key="5", message="no match"
    )
    failed = SyncIssue.objects.create(
        company=connected.company, kind="shops_failed", key="shops", message="boom"
    )

    unmatched_page = merchant_client.get(
        reverse("admin:lightspeed_syncissue_change", args=[unmatched.pk])
    ).content.decode()
    failed_page = merchant_client.get(
        reverse("admin:lightspeed_syncissue_change", args=[failed.pk])
    ).content.decode()

    assert "Map to product" in unmatched_page and "Ignore" in unmatched_page
    assert "Retry" in failed_page and "Map to product" not in failed_page
