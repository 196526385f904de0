"""Token renewal: proactive and reactive, one refresh per token, refusals that stop for good."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
import responses
from django.contrib.auth.models import Group
from django.core import mail
from django.db import connection
from django.utils import timezone

from integrations.commerce.models import OPS_STAFF_GROUP, User
from integrations.lightspeed.api import errors
from integrations.lightspeed.connection.services.client import lightspeed_client_for
from integrations.lightspeed.connection.services.token_refresh import DatabaseTokenProvider, token_refresh
from integrations.lightspeed.models import ConnectionStatus, LightspeedSettings

from .conftest import ACCOUNT_URL, EXPIRED, ONE_ACCOUNT, TOKEN_URL, token_answer

INVALID_GRANT = {"error": "invalid_grant", "error_description": "The refresh token is invalid."}


def expire(settings_obj: LightspeedSettings, *, seconds: int = -10) -> None:
    """An hour-long token received long enough ago to expire in `seconds`."""
    settings_obj.token_expires_at = timezone.now() + timedelta(seconds=seconds)
    settings_obj.token_received_at = settings_obj.token_expires_at - timedelta(hours=1)
    settings_obj.save()


def test_a_token_about_to_expire_is_renewed_before_use_and_the_new_pair_stored(
    connected, mocked_lightspeed, sleeps
):
    expire(connected, seconds=60)
    mocked_lightspeed.post(TOKEN_URL, json=token_answer("a2", "r2"))
    mocked_lightspeed.get(ACCOUNT_URL, json=ONE_ACCOUNT)

    lightspeed_client_for(connected, sleep=sleeps).get_account()

    assert [c.request.url for c in mocked_lightspeed.calls] == [TOKEN_URL, ACCOUNT_URL]
    assert mocked_lightspeed.calls[1].request.headers["Authorization"] == "Bearer a2"
    form = parse_qs(mocked_lightspeed.calls[0].request.body)
    assert form["client_id"] == ["lightsync-test"] and form["client_secret"] == ["lightsync-test-secret"]
    connected.refresh_from_db()
    assert (connected.auth_token, connected.refresh_token) == ("a2", "r2")
    assert connected.token_expires_at > timezone.now() + timedelta(minutes=59)


def test_a_token_far_from_expiry_is_used_without_renewal(connected, mocked_lightspeed, sleeps):
    mocked_lightspeed.get(ACCOUNT_URL, json=ONE_ACCOUNT)
    lightspeed_client_for(connected, sleep=sleeps).get_account()
    assert len(mocked_lightspeed.calls) == 1


def test_a_per_company_client_id_and_secret_override_the_deployments(connected, mocked_lightspeed):
    connected.client_id, connected.client_secret = "own-client", "own-secret"
    connected.save()
    mocked_lightspeed.post(TOKEN_URL, json=token_answer("a2", "r2"))

    token_refresh(company_id=connected.company_id, force=True)

    form = parse_qs(mocked_lightspeed.calls[0].request.body)
    assert (form["client_id"], form["client_secret"]) == (["own-client"], ["own-secret"])


def test_a_401_for_a_token_another_worker_already_replaced_spends_no_refresh_token(
    connected, mocked_lightspeed
):
    LightspeedSettings.objects.filter(pk=connected.pk).update(auth_token="a-new-from-other-worker")
    # no token call registered: any refresh would fail the test
    assert DatabaseTokenProvider(company_id=connected.company_id).refresh_access_token(rejected="a1") == (
        LightspeedSettings.objects.get(pk=connected.pk).auth_token
    )


def test_a_refused_refresh_requires_reauthorization_stops_and_tells_people_once(
    connected, merchant, mocked_lightspeed, sleeps
):
    ops = User.objects.create_user("ops", email="ops@example.com", is_staff=True)
    ops.groups.add(Group.objects.get_or_create(name=OPS_STAFF_GROUP)[0])
    User.objects.create_user("other-co", email="other@example.com")  # not told: another company's user
    mocked_lightspeed.get(ACCOUNT_URL, status=401, json=EXPIRED)
    mocked_lightspeed.post(TOKEN_URL, status=400, json=INVALID_GRANT)

    with pytest.raises(errors.LightspeedReauthorizationRequiredError), mail_on_commit():
        lightspeed_client_for(connected, sleep=sleeps).get_account()

    connected.refresh_from_db()
    assert connected.connection_status == ConnectionStatus.REAUTHORIZATION_REQUIRED
    assert "refresh token is invalid" in connected.connection_error
    assert sorted(m.to[0] for m in mail.outbox) == ["merchant@example.com", "ops@example.com"]
    assert "Fetch Token" in mail.outbox[0].body and "r1" not in mail.outbox[0].body

    # Afterwards: no request at all, no second email, however often jobs try.
    for _ in range(3):
        with pytest.raises(errors.LightspeedReauthorizationRequiredError):
            lightspeed_client_for(connected, sleep=sleeps)
        with pytest.raises(errors.LightspeedReauthorizationRequiredError):
            token_refresh(company_id=connected.company_id, force=True)
    assert len(mocked_lightspeed.calls) == 2 and len(mail.outbox) == 2


def test_a_wrong_client_secret_on_refresh_says_to_check_the_credentials(connected, mocked_lightspeed):
    mocked_lightspeed.post(
        TOKEN_URL,
        status=401,
        json={"error": "invalid_client", "error_description": "Client authentication failed"},
    )
    with pytest.raises(errors.LightspeedReauthorizationRequiredError):
        token_refresh(company_id=connected.company_id, force=True)
    connected.refresh_from_db()
    assert connected.needs_reauthorization and "Client Secret" in connected.connection_error


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 503, "body": "<html>down</html>"},
        {"status": 429, "headers": {"Retry-After": "20"}},
        {"body": __import__("requests").ConnectTimeout("no route")},
    ],
)
def test_an_outage_during_refresh_keeps_the_old_pair_and_the_connection(
    connected, mocked_lightspeed, failure
):
    mocked_lightspeed.post(TOKEN_URL, **failure)
    with pytest.raises(errors.LightspeedTransientError):
        token_refresh(company_id=connected.company_id, force=True)
    connected.refresh_from_db()
    assert (connected.auth_token, connected.refresh_token) == ("a1", "r1")
    assert connected.connection_status == ConnectionStatus.CONNECTED


class mail_on_commit:
    """Runs on-commit callbacks inside the test transaction (emails are sent on commit)."""

    def __enter__(self):
        self._ctx = __import__("django.test", fromlist=["TestCase"]).TestCase.captureOnCommitCallbacks(
            execute=True
        )
        return self._ctx.__enter__()

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


# --- concurrency -----------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_five_workers_hitting_an_expired_token_at_once_cause_exactly_one_refresh(company, sleeps):
    LightspeedSettings.objects.update_or_create(
        company=company,
        defaults=dict(
            enabled=True,
            account_id="100001",
            auth_token="a1",
            refresh_token="r1",
            token_expires_at=timezone.now() + timedelta(hours=1),
            connection_status=ConnectionStatus.CONNECTED,
        ),
    )
    spent: list[str] = []
    lock = threading.Lock()

    def token_endpoint(request):
        refresh = parse_qs(request.body)["refresh_token"][0]
        with lock:
            spent.append(refresh)
            n = len(spent)
        time.sleep(0.3)  # a slow Lightspeed widens the window in which others could race
        return 200, {}, __import__("json").dumps(token_answer(f"a{n + 1}", f"r{n + 1}"))

    def account(request):
        if request.headers["Authorization"] == "Bearer a1":
            return 401, {}, __import__("json").dumps(EXPIRED)
        return 200, {}, __import__("json").dumps(ONE_ACCOUNT)

    results, failures = [], []
    barrier = threading.Barrier(5)

    def worker():
        try:
            client = lightspeed_client_for(LightspeedSettings.objects.get(company=company), sleep=sleeps)
            barrier.wait()
            results.append(client.get_account()["accountID"])
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            connection.close()

    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.add_callback(responses.POST, TOKEN_URL, callback=token_endpoint)
        mock.add_callback(responses.GET, ACCOUNT_URL, callback=account)
        threads = [threading.Thread(target=worker) for _ in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)

    assert failures == []
    assert results == ["100001"] * 5
    assert spent == ["r1"]
    stored = LightspeedSettings.objects.get(company=company)
    assert (stored.auth_token, stored.refresh_token) == ("a2", "r2")


def test_tokens_and_secrets_never_reach_the_logs_even_at_debug_level(
    caplog, connected, mocked_lightspeed, sleeps
):
    import logging

    LightspeedSettings.objects.filter(pk=connected.pk).update(
        auth_token="access-SECRET-1",
        refresh_token="refresh-SECRET-1",
        client_id="own",
        client_secret="client-SECRET",
    )
    mocked_lightspeed.get(ACCOUNT_URL, status=401, json=EXPIRED)
    mocked_lightspeed.post(TOKEN_URL, json=token_answer("access-SECRET-2", "refresh-SECRET-2"))
    mocked_lightspeed.get(ACCOUNT_URL, json=ONE_ACCOUNT)

    with caplog.at_level(logging.DEBUG):
        lightspeed_client_for(LightspeedSettings.objects.get(pk=connected.pk), sleep=sleeps).get_account()

    assert "SECRET" not in caplog.text
    # requests-oauthlib logs request bodies and tokens at DEBUG: kept off whatever the root level
    assert not logging.getLogger("requests_oauthlib").isEnabledFor(logging.DEBUG)
    assert not logging.getLogger("oauthlib").isEnabledFor(logging.DEBUG)


def test_a_refresh_inside_a_callers_transaction_is_refused_before_the_refresh_token_is_spent(
    connected, mocked_lightspeed
):
    """The new pair could not be committed durably there: it would be lost with the spent token."""
    from django.db import transaction

    # no token call registered: spending r1 would fail the test
    with pytest.raises(RuntimeError), transaction.atomic():
        token_refresh(company_id=connected.company_id, force=True)
    assert len(mocked_lightspeed.calls) == 0  # r1 was not spent
    connected.refresh_from_db()
    assert (connected.auth_token, connected.refresh_token) == ("a1", "r1")


@pytest.mark.django_db(transaction=True)
def test_a_refused_refresh_is_reported_as_such_even_when_the_email_about_it_cannot_be_sent(
    company, mocked_lightspeed, monkeypatch
):
    import smtplib

    LightspeedSettings.objects.update_or_create(
        company=company,
        defaults=dict(
            account_id="100001",
            auth_token="a1",
            refresh_token="r1",
            connection_status=ConnectionStatus.CONNECTED,
        ),
    )
    User.objects.create_user("m", email="m@example.com", company=company)
    mocked_lightspeed.post(TOKEN_URL, status=400, json=INVALID_GRANT)

    def mail_server_down(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr("integrations.lightspeed.connection.services.status.send_mass_mail", mail_server_down)
    with pytest.raises(errors.LightspeedReauthorizationRequiredError):  # the job's outcome, not an SMTP error
        token_refresh(company_id=company.pk, force=True)
    stored = LightspeedSettings.objects.get(company=company)
    assert stored.connection_status == ConnectionStatus.REAUTHORIZATION_REQUIRED
