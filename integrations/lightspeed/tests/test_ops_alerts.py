"""Alerts: said once, again only when they change or after the quiet period; never per run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from integrations.commerce.models import User
from integrations.lightspeed.jobs.registry import JOBS
from integrations.lightspeed.jobs.runner import job_run
from integrations.lightspeed.models import AlertNotice, ConnectionStatus, MetricCounter, SyncRun
from integrations.lightspeed.operations.services.alerts import alerts_check_company
from integrations.lightspeed.tests.conftest import resource_url

T0 = datetime(2026, 11, 21, 22, 0, tzinfo=UTC)  # a Saturday night


@pytest.fixture
def people(connected, merchant):
    from django.contrib.auth.models import Group

    from integrations.commerce import roles

    roles.roles_apply()
    ops = User.objects.create_user("ops", password="pw", email="ops@example.com", is_staff=True)
    ops.groups.add(Group.objects.get(name=roles.OPS_STAFF))
    return merchant, ops


def _failed_run(settings_obj, at: datetime, error: str, job: str = "shops") -> SyncRun:
    return SyncRun.objects.create(
        company=settings_obj.company,
        job=job,
        outcome=SyncRun.Outcome.FAILED,
        started_at=at,
        finished_at=at,
        error=error,
    )


def test_an_hour_of_failing_runs_sends_one_alert_to_each_person(connected, people):
    sent_at = []
    for minute in range(60):
        now = T0 + timedelta(minutes=minute)
        _failed_run(
            connected, now, f"Lightspeed is rate limiting this account (retry after {30 + minute % 7} s)."
        )
        if alerts_check_company(company_id=connected.company_id, now=now):
            sent_at.append(minute)

    assert sent_at == [2]  # the third failure in a row, and never again within the hour
    assert sorted(m.to[0] for m in mail.outbox) == ["merchant@example.com", "ops@example.com"]
    assert all(len(m.to) == 1 for m in mail.outbox)  # nobody sees the others' addresses
    assert "The Lightspeed shops job keeps failing for Demo Outfitters" in mail.outbox[0].subject
    assert (
        "failed its last 3 runs" in mail.outbox[0].body
        and "/admin/lightspeed/dashboard/" in mail.outbox[0].body
    )
    assert MetricCounter.objects.get(name="alerts_sent").value == 1


def test_a_changed_error_is_news_and_the_quiet_period_brings_one_reminder(connected, people, settings):
    settings.LIGHTSPEED_ALERT_QUIET_HOURS = 6
    sent = []
    for minute in range(0, 12 * 60, 5):
        now = T0 + timedelta(minutes=minute)
        error = (
            "HTTP 500 from Lightspeed" if minute < 60 else "Lightspeed cannot be reached: connection refused"
        )
        _failed_run(connected, now, error)
        sent += [(minute, n.message) for n in alerts_check_company(company_id=connected.company_id, now=now)]

    assert [m for m, _ in sent] == [10, 60, 60 + 6 * 60]
    assert sent[1][1].startswith("Lightspeed cannot be reached")
    subjects = [m.subject for m in mail.outbox if m.to == ["ops@example.com"]]
    assert subjects[1].endswith("(changed)") and subjects[2].endswith("(still)")


def test_when_the_job_works_again_people_hear_it_once(connected, people):
    for minute in range(3):
        _failed_run(connected, T0 + timedelta(minutes=minute), "HTTP 500")
    alerts_check_company(company_id=connected.company_id, now=T0 + timedelta(minutes=3))
    SyncRun.objects.create(
        company=connected.company,
        job="shops",
        outcome=SyncRun.Outcome.SUCCEEDED,
        started_at=T0 + timedelta(minutes=4),
    )
    mail.outbox.clear()

    for minute in range(5, 30):
        alerts_check_company(company_id=connected.company_id, now=T0 + timedelta(minutes=minute))

    assert [m.subject for m in mail.outbox if m.to == ["ops@example.com"]] == [
        "[LightSync] Resolved: Job failing (shops) for Demo Outfitters"
    ]
    assert AlertNotice.objects.get().cleared_at == T0 + timedelta(minutes=5)


def test_skipped_and_refused_runs_do_not_break_or_make_a_failure_streak(connected, people):
    for minute, outcome in enumerate(
        [SyncRun.Outcome.FAILED, SyncRun.Outcome.SKIPPED, SyncRun.Outcome.FAILED, SyncRun.Outcome.REFUSED]
    ):
        SyncRun.objects.create(
            company=connected.company, job="shops", outcome=outcome, started_at=T0 + timedelta(minutes=minute)
        )
        alerts_check_company(company_id=connected.company_id, now=T0 + timedelta(minutes=minute))
    assert mail.outbox == []

    _failed_run(connected, T0 + timedelta(minutes=5), "HTTP 500")
    alerts_check_company(company_id=connected.company_id, now=T0 + timedelta(minutes=5))
    assert len(mail.outbox) == 2


def test_a_lost_connection_is_not_announced_twice(connected, people, django_capture_on_commit_callbacks):
    from integrations.lightspeed.connection.services.status import connection_lost

    with django_capture_on_commit_callbacks(execute=True):
        connection_lost(company_id=connected.company_id, reason="Lightspeed refused to renew the token.")
    assert len(mail.outbox) == 2  # the connection's own email, at once

    for minute in range(0, 180, 5):
        alerts_check_company(company_id=connected.company_id, now=T0 + timedelta(minutes=minute))
    assert len(mail.outbox) == 2
    notice = AlertNotice.objects.get(kind=AlertNotice.Kind.REAUTHORIZATION)
    assert notice.times_sent == 1 and notice.active


def test_a_lost_connection_is_repeated_after_the_quiet_period(connected, people, settings):
    settings.LIGHTSPEED_ALERT_QUIET_HOURS = 24
    connected.connection_status = ConnectionStatus.REAUTHORIZATION_REQUIRED
    connected.connection_error = "invalid_grant"
    connected.reauthorization_notified_at = T0
    connected.save()

    alerts_check_company(company_id=connected.company_id, now=T0 + timedelta(hours=23))
    assert mail.outbox == []
    alerts_check_company(company_id=connected.company_id, now=T0 + timedelta(hours=24, minutes=5))
    assert [m.subject for m in mail.outbox if m.to == ["ops@example.com"]] == [
        "[LightSync] Lightspeed needs re-authorization for Demo Outfitters (still)"
    ]


def test_drift_above_the_threshold_alerts_and_again_only_when_it_doubles(connected, people, settings):
    from integrations.commerce.models import Product
    from integrations.lightspeed.models import LightspeedShop, ProductLink
    from integrations.lightspeed.models.catalog import StockDrift

    settings.LIGHTSPEED_ALERT_DRIFT_ITEMS = 3
    shop = LightspeedShop.objects.create(company=connected.company, shop_id=1, name="Downtown")

    made = iter(range(1, 1000))

    def drift(n: int) -> None:
        for _ in range(n):
            number = next(made)
            product = Product.objects.create(company=connected.company, sku=f"D-{number}", title="x")
            link = ProductLink.objects.create(
                company=connected.company, product=product, enabled=True, item_id=number
            )
            StockDrift.objects.create(
                company=connected.company, link=link, shop=shop, lightsync_qoh=5, lightspeed_qoh=7
            )

    drift(2)
    assert alerts_check_company(company_id=connected.company_id) == []
    drift(2)  # 4 items
    assert [n.kind for n in alerts_check_company(company_id=connected.company_id)] == ["drift"]
    drift(1)  # 5: same order of magnitude
    assert alerts_check_company(company_id=connected.company_id) == []
    drift(4)  # 9: more than doubled
    assert [n.message for n in alerts_check_company(company_id=connected.company_id)] == [
        "9 items drifted in the last 24 hours"
    ]


@pytest.mark.django_db(transaction=True)
def test_failing_runs_of_a_real_job_alert_once_after_the_third(connected, people, mocked_lightspeed, sleeps):
    mocked_lightspeed.get(
        resource_url("Shop"), status=400, json={"httpCode": "400", "message": "Invalid query"}
    )
    for _ in range(5):
        run = job_run(company_id=connected.company_id, job=JOBS["shops"], sleep=sleeps)
        assert run.outcome == SyncRun.Outcome.FAILED

    assert [m.subject for m in mail.outbox if m.to == ["ops@example.com"]] == [
        "[LightSync] The Lightspeed shops job keeps failing for Demo Outfitters"
    ]
    assert "Invalid query" in mail.outbox[0].body


def test_beat_checks_alerts_every_five_minutes_also_for_what_no_run_reported(connected, people, settings):
    from integrations.lightspeed.tasks import lightspeed_check_alerts

    assert settings.CELERY_BEAT_SCHEDULE["lightspeed-alerts"] == {
        "task": "lightspeed.check_alerts",
        "schedule": timedelta(minutes=5),
    }
    connected.connection_status = ConnectionStatus.REAUTHORIZATION_REQUIRED
    connected.connection_error = "Lightspeed refused to renew the token."
    connected.save()  # as if marked elsewhere, without the connection's own email

    assert lightspeed_check_alerts() == 1
    assert lightspeed_check_alerts() == 0
    assert [m.subject for m in mail.outbox if m.to == ["ops@example.com"]] == [
        "[LightSync] Lightspeed needs re-authorization for Demo Outfitters"
    ]


def test_an_address_the_mail_server_refuses_does_not_repeat_the_alert_to_the_others(
    connected, people, monkeypatch
):
    import smtplib

    from django.core.mail.backends.locmem import EmailBackend

    User.objects.create_user("typo", password="pw", email="zz-typo@example", company=connected.company)

    def send_messages(self, messages):  # as the SMTP backend: one by one, raising on a refusal
        for message in messages:
            if message.to == ["zz-typo@example"]:
                raise smtplib.SMTPRecipientsRefused({"zz-typo@example": (550, b"no such domain")})
            mail.outbox.append(message)
        return len(messages)

    monkeypatch.setattr(EmailBackend, "send_messages", send_messages)
    for minute in range(3):
        _failed_run(connected, T0 + timedelta(minutes=minute), "Invalid query")

    from integrations.lightspeed.operations.services.alerts import alerts_check_all

    for minute in range(3, 8):
        alerts_check_all(now=T0 + timedelta(minutes=minute))

    assert sorted(m.to[0] for m in mail.outbox) == ["merchant@example.com", "ops@example.com"]


def test_one_companys_failing_alert_check_does_not_silence_the_others(connected, people, monkeypatch):
    from integrations.commerce.models import Company
    from integrations.lightspeed.operations.services import alerts

    other = Company.objects.create(name="Another Shop")  # gets its own Lightspeed settings row
    checked = []
    real_check = alerts.alerts_check_company

    def check(*, company_id, now=None):
        checked.append(company_id)
        if company_id == connected.company_id:
            raise RuntimeError("a bad row in this company")
        return real_check(company_id=company_id, now=now)

    monkeypatch.setattr(alerts, "alerts_check_company", check)

    alerts.alerts_check_all(now=T0)

    assert sorted(checked) == sorted([connected.company_id, other.pk])
