"""Jobs: the shops download, refusals, the per-company lock, SyncRun records and the commands."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from integrations.core.locks import company_job_lock
from integrations.lightspeed.connection.selectors import settings_due_for_token_refresh
from integrations.lightspeed.jobs.registry import JOBS
from integrations.lightspeed.jobs.runner import job_run
from integrations.lightspeed.models import (
    ConnectionStatus,
    LightspeedEmployee,
    LightspeedRegister,
    LightspeedSettings,
    LightspeedShop,
    SyncIssue,
    SyncRun,
)

from .conftest import TOKEN_URL, resource_url, token_answer

SHOPS_PAGE = {
    "@attributes": {"next": "", "previous": ""},
    "Shop": [
        {
            "shopID": "1",
            "name": "Downtown",
            "timeZone": "US/Pacific",
            "archived": "false",
            "Registers": {
                "Register": {"registerID": "1", "name": "Downtown 1", "shopID": "1", "archived": "false"}
            },
        },
        {
            "shopID": "2",
            "name": "Uptown",
            "archived": "false",
            "Registers": {
                "Register": [
                    {"registerID": "2", "name": "Uptown 1", "shopID": "2"},
                    {"registerID": "3", "name": "Uptown 2", "shopID": "2", "archived": "true"},
                ]
            },
        },
        {"shopID": "3", "name": "Old Outlet", "archived": "true", "Registers": ""},
    ],
}
EMPLOYEES_PAGE = {
    "@attributes": {"next": "", "previous": ""},
    "Employee": [
        {
            "employeeID": "1",
            "firstName": "Ada",
            "lastName": "Admin",
            "lockOut": "false",
            "archived": "false",
            "limitToShopID": "0",
        },
        {
            "employeeID": "2",
            "firstName": "Sam",
            "lastName": "Sales",
            "lockOut": "true",
            "archived": "false",
            "limitToShopID": "2",
        },
    ],
}


# The shops job reads the price levels last (every account has the built-in three).
PRICE_LEVELS_PAGE = {
    "@attributes": {"next": "", "previous": ""},
    "PriceLevel": [
        {
            "priceLevelID": "1",
            "name": "Default",
            "archived": "false",
            "canBeArchived": "false",
            "type": "fixed",
        },
        {"priceLevelID": "2", "name": "MSRP", "archived": "false", "canBeArchived": "false", "type": "fixed"},
        {
            "priceLevelID": "3",
            "name": "Online",
            "archived": "false",
            "canBeArchived": "false",
            "type": "fixed",
        },
    ],
}


def shops_conversation(mock, shops=SHOPS_PAGE, employees=EMPLOYEES_PAGE, price_levels=PRICE_LEVELS_PAGE):
    mock.get(resource_url("Shop"), json=shops)
    mock.get(resource_url("Employee"), json=employees)
    mock.get(resource_url("PriceLevel"), json=price_levels)


def test_the_shops_job_downloads_shops_registers_and_employees_with_archived_state(
    connected, mocked_lightspeed
):
    shops_conversation(mocked_lightspeed)

    run = job_run(company_id=connected.company_id, job=JOBS["shops"])

    assert run.outcome == SyncRun.Outcome.SUCCEEDED and run.api_requests == 3 and run.api_rate_limited == 0
    assert (
        run.counts["shops_created"] == 3
        and run.counts["registers_created"] == 3
        and run.counts["employees_created"] == 2
    )
    shops = {s.shop_id: s for s in LightspeedShop.objects.filter(company=connected.company)}
    assert (shops[1].name, shops[1].time_zone, shops[3].archived) == ("Downtown", "US/Pacific", True)
    assert sorted(r.register_id for r in shops[2].registers.all()) == [2, 3]
    assert LightspeedRegister.objects.get(register_id=3).archived is True
    sam = LightspeedEmployee.objects.get(employee_id=2)
    assert (sam.lock_out, sam.limit_to_shop_id) == (True, 2)


def test_downloading_again_updates_renames_and_archives_what_disappeared_keeping_mappings(
    connected, mocked_lightspeed
):
    shops_conversation(mocked_lightspeed)
    job_run(company_id=connected.company_id, job=JOBS["shops"])
    downtown = LightspeedShop.objects.get(shop_id=1)
    downtown.employee = LightspeedEmployee.objects.get(employee_id=1)
    downtown.save()

    renamed = {
        "@attributes": {"next": ""},
        "Shop": {
            "shopID": "1",
            "name": "Downtown Flagship",
            "Registers": {"Register": {"registerID": "1", "name": "Downtown 1"}},
        },
    }
    shops_conversation(
        mocked_lightspeed,
        shops=renamed,
        employees={"@attributes": {"next": ""}, "Employee": {"employeeID": "1", "firstName": "Ada"}},
    )
    run = job_run(company_id=connected.company_id, job=JOBS["shops"])

    downtown.refresh_from_db()
    assert downtown.name == "Downtown Flagship" and downtown.employee.employee_id == 1
    assert (
        LightspeedShop.objects.get(shop_id=2).archived
        and LightspeedEmployee.objects.get(employee_id=2).archived
    )
    assert run.counts["shops_updated"] == 1 and run.counts["shops_archived"] == 1


def test_a_dry_run_asks_lightspeed_but_changes_nothing(connected, mocked_lightspeed):
    shops_conversation(mocked_lightspeed)
    run = job_run(company_id=connected.company_id, job=JOBS["shops"], dry_run=True)
    assert run.counts["shops_created"] == 3 and not LightspeedShop.objects.exists()


def test_a_failed_download_leaves_what_was_downloaded_before_and_records_the_failure_until_it_works_again(
    connected, mocked_lightspeed
):
    shops_conversation(mocked_lightspeed)
    job_run(company_id=connected.company_id, job=JOBS["shops"])
    mocked_lightspeed.get(
        resource_url("Shop"), status=403, json={"httpCode": "403", "message": "Insufficient scope."}
    )

    run = job_run(company_id=connected.company_id, job=JOBS["shops"])

    assert run.outcome == SyncRun.Outcome.FAILED and run.error == "Insufficient scope."
    assert LightspeedShop.objects.filter(archived=False).count() == 2
    assert (
        SyncIssue.objects.get(company=connected.company, kind="shops_failed").message == "Insufficient scope."
    )

    shops_conversation(mocked_lightspeed)
    assert job_run(company_id=connected.company_id, job=JOBS["shops"]).outcome == SyncRun.Outcome.SUCCEEDED
    assert SyncIssue.objects.get(kind="shops_failed").status == SyncIssue.Status.RESOLVED


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"enabled": False}, "Lightspeed POS Enabled is off"),
        (
            {
                "connection_status": ConnectionStatus.REAUTHORIZATION_REQUIRED,
                "connection_error": "Lightspeed refused to renew the token.",
            },
            "Re-authorization required: Lightspeed refused",
        ),
        ({"refresh_token": "", "connection_status": ConnectionStatus.NOT_CONNECTED}, "run Fetch Token first"),
    ],
)
def test_every_job_refuses_to_run_while_disabled_or_disconnected_and_says_why(
    connected, mocked_lightspeed, change, reason
):
    LightspeedSettings.objects.filter(pk=connected.pk).update(**change)
    # Keeping the connection alive is not syncing: the tokens job alone runs while disabled.
    jobs = ("shops",) if change == {"enabled": False} else ("tokens", "shops")
    for name in jobs:
        run = job_run(company_id=connected.company_id, job=JOBS[name])
        assert run.outcome == SyncRun.Outcome.REFUSED and reason in run.error
    assert len(mocked_lightspeed.calls) == 0


def test_a_connected_company_with_jobs_off_keeps_its_refresh_token_alive(connected, mocked_lightspeed):
    long_ago = timezone.now() - timedelta(days=21)
    LightspeedSettings.objects.filter(pk=connected.pk).update(
        enabled=False, token_received_at=long_ago, token_expires_at=long_ago + timedelta(hours=1)
    )
    mocked_lightspeed.post(TOKEN_URL, json=token_answer("a2", "r2"))

    due = list(settings_due_for_token_refresh(margin=timedelta(minutes=15)))
    renewed = job_run(company_id=connected.company_id, job=JOBS["tokens"])
    again = job_run(company_id=connected.company_id, job=JOBS["tokens"])

    assert due == [connected]
    assert renewed.outcome == again.outcome == SyncRun.Outcome.SUCCEEDED
    assert (renewed.counts["refreshed"], again.counts["refreshed"]) == (1, 0)
    assert [c.request.url for c in mocked_lightspeed.calls] == [TOKEN_URL]
    stored = LightspeedSettings.objects.get(pk=connected.pk)
    assert (stored.auth_token, stored.refresh_token) == ("a2", "r2")
    assert list(settings_due_for_token_refresh(margin=timedelta(minutes=15))) == []


def test_a_recently_renewed_connection_with_jobs_off_is_left_alone(connected, mocked_lightspeed):
    expired = timezone.now() - timedelta(hours=2)
    LightspeedSettings.objects.filter(pk=connected.pk).update(
        enabled=False, token_received_at=timezone.now() - timedelta(days=2), token_expires_at=expired
    )

    run = job_run(company_id=connected.company_id, job=JOBS["tokens"])

    assert run.outcome == SyncRun.Outcome.SUCCEEDED and run.counts["refreshed"] == 0
    assert len(mocked_lightspeed.calls) == 0
    assert list(settings_due_for_token_refresh(margin=timedelta(minutes=15))) == []


@pytest.mark.django_db(transaction=True)
def test_a_second_run_of_the_same_job_for_the_same_company_is_skipped(connected, mocked_lightspeed):
    with company_job_lock(connected.company_id, "shops"):
        run = job_run(company_id=connected.company_id, job=JOBS["shops"])
    assert run.outcome == SyncRun.Outcome.SKIPPED and "in progress" in run.error


def test_the_tokens_job_renews_a_token_expiring_within_fifteen_minutes(connected, mocked_lightspeed):
    LightspeedSettings.objects.filter(pk=connected.pk).update(
        token_received_at=timezone.now() - timedelta(minutes=50),
        token_expires_at=timezone.now() + timedelta(minutes=10),
    )
    mocked_lightspeed.post(TOKEN_URL, json=token_answer("a2", "r2"))

    run = job_run(company_id=connected.company_id, job=JOBS["tokens"])

    assert run.outcome == SyncRun.Outcome.SUCCEEDED and run.counts == {"refreshed": 1, "due": 1}
    connected.refresh_from_db()
    assert connected.refresh_token == "r2"


def test_the_tokens_job_leaves_a_fresh_token_alone(connected, mocked_lightspeed):
    run = job_run(company_id=connected.company_id, job=JOBS["tokens"])
    assert run.counts == {"refreshed": 0, "due": 0} and len(mocked_lightspeed.calls) == 0


# --- commands --------------------------------------------------------------------------------
def test_lightspeed_sync_shops_prints_a_one_line_summary(connected, mocked_lightspeed):
    shops_conversation(mocked_lightspeed)
    out = StringIO()
    call_command(
        "lightspeed_sync", "shops", "--company", str(connected.company_id), stdout=out, stderr=StringIO()
    )
    last = out.getvalue().strip().splitlines()[-1]
    assert last == "shops: 1 run(s) — 1 succeeded; 3 API request(s), 0 rate-limited."
    assert SyncRun.objects.get(job="shops").trigger == SyncRun.Trigger.COMMAND


def test_lightspeed_sync_reports_refusals_per_company(connected):
    LightspeedSettings.objects.filter(pk=connected.pk).update(enabled=False)
    out, err = StringIO(), StringIO()
    call_command("lightspeed_sync", "shops", stdout=out, stderr=err)
    assert "Demo Outfitters: shops refused — Lightspeed POS Enabled is off" in out.getvalue()
    assert out.getvalue().strip().endswith("shops: 1 run(s) — 1 refused; 0 API request(s), 0 rate-limited.")


def test_lightspeed_status_shows_connection_token_and_job_state(connected):
    LightspeedSettings.objects.filter(pk=connected.pk).update(
        account_name="Demo Outfitters", token_refreshed_at=timezone.now()
    )
    SyncRun.objects.create(company=connected.company, job="shops", outcome=SyncRun.Outcome.SUCCEEDED)
    out = StringIO()
    call_command("lightspeed_status", stdout=out)
    text = out.getvalue()
    assert "Connection: Connected" in text and "Account: 100001 (Demo Outfitters)" in text
    assert "Access token expires: in 59" in text or "Access token expires: in 1" in text
    assert "shops      succeeded" in text and "orders     never run" in text


def test_lightspeed_status_shows_why_reauthorization_is_needed(connected):
    LightspeedSettings.objects.filter(pk=connected.pk).update(
        connection_status=ConnectionStatus.REAUTHORIZATION_REQUIRED,
        connection_error="Lightspeed refused to renew the token.",
    )
    out = StringIO()
    call_command("lightspeed_status", stdout=out)
    assert (
        "Re-authorization required" in out.getvalue()
        and "Reason: Lightspeed refused to renew the token." in out.getvalue()
    )


def test_a_download_asked_for_while_switched_off_resolves_its_failure_issue_once_it_works_again(
    connected, mocked_lightspeed
):
    from integrations.lightspeed.shops.services.redownload import shops_redownload

    LightspeedSettings.objects.filter(pk=connected.pk).update(enabled=False)
    mocked_lightspeed.get(
        resource_url("Shop"), status=403, json={"httpCode": "403", "message": "Insufficient scope."}
    )
    assert not shops_redownload(company_id=connected.company_id).ok
    assert SyncRun.objects.get().outcome == SyncRun.Outcome.FAILED
    assert SyncIssue.objects.get(kind="shops_failed").status == SyncIssue.Status.OPEN

    shops_conversation(mocked_lightspeed)
    assert shops_redownload(company_id=connected.company_id).ok
    assert SyncRun.objects.latest("pk").outcome == SyncRun.Outcome.SUCCEEDED
    assert SyncIssue.objects.get(kind="shops_failed").status == SyncIssue.Status.RESOLVED


def test_a_download_asked_for_while_switched_off_that_crashes_is_not_left_running(
    connected, mocked_lightspeed
):
    from integrations.lightspeed.shops.services.redownload import shops_redownload

    LightspeedSettings.objects.filter(pk=connected.pk).update(enabled=False)
    shops_conversation(
        mocked_lightspeed, shops={"@attributes": {"next": ""}, "Shop": {"shopID": "1", "archived": "perhaps"}}
    )
    with pytest.raises(ValueError):
        shops_redownload(company_id=connected.company_id)
    run = SyncRun.objects.get(job="shops")
    assert run.outcome == SyncRun.Outcome.FAILED and run.finished_at is not None
    assert "ValueError" in run.error
