"""End to end against the Lightspeed sandbox, over real HTTP.

LightSync's side runs in-process (Django's test client); the sandbox runs in its own process.
A requests.Session plays the merchant's browser at Lightspeed: it follows the sandbox's
redirects and hands the final one — to LightSync's callback — to the test client.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from integrations.commerce.models import Company, User
from integrations.lightspeed.api import errors
from integrations.lightspeed.connection.services.client import lightspeed_client_for
from integrations.lightspeed.connection.services.token_refresh import token_refresh
from integrations.lightspeed.jobs.registry import JOBS
from integrations.lightspeed.jobs.runner import job_run
from integrations.lightspeed.models import (
    ConnectionStatus,
    LightspeedRegister,
    LightspeedSettings,
    LightspeedShop,
    SyncRun,
)
from integrations.lightspeed.tests.sandbox_helpers import (
    LIGHTSYNC,
    browse_fetch_token,
    connect_with_minted_tokens,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def lightspeed_at(settings, monkeypatch):
    def point(server):
        monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the sandbox speaks http://
        settings.LIGHTSPEED_OAUTH_URL = server.oauth_url
        settings.LIGHTSPEED_API_URL = server.api_url
        settings.LIGHTSPEED_CLIENT_ID = server.client_id
        settings.LIGHTSPEED_CLIENT_SECRET = server.client_secret
        settings.SITE_URL = LIGHTSYNC
        LightspeedSettings.objects.update(redirect_uri=f"{LIGHTSYNC}/lightspeed/oauth/callback/")
        return server

    return point


@pytest.fixture
def merchant_client(client, db):
    company = Company.objects.create(name="Demo Outfitters")
    user = User.objects.create_superuser("merchant", "merchant@example.com", "pw", company=company)
    client.force_login(user)
    client.company = company
    return client


def token_calls(server, since=None) -> list[dict]:
    return [
        r for r in server.requests_log(since) if "/auth/oauth/token" in (r.get("path") or r.get("url") or "")
    ]


def test_fetch_token_through_the_sandbox_connects_and_the_shops_job_downloads_the_demo_shops(
    demo_sandbox, lightspeed_at, merchant_client
):
    lightspeed_at(demo_sandbox)
    company = merchant_client.company

    response = browse_fetch_token(merchant_client, company)

    assert response.status_code == 302
    connected, downloaded = [str(m) for m in get_messages(response.wsgi_request)][-2:]
    assert connected.startswith("Connected to Lightspeed account 100001")
    assert downloaded.startswith("Downloaded 3 shops, 6 registers and 5 employees")
    stored = LightspeedSettings.objects.get(company=company)
    assert stored.connection_status == ConnectionStatus.CONNECTED and stored.account_id == "100001"
    assert stored.refresh_token and stored.token_received_at

    LightspeedSettings.objects.filter(pk=stored.pk).update(enabled=True)
    run = job_run(company_id=company.pk, job=JOBS["shops"])

    assert run.outcome == SyncRun.Outcome.SUCCEEDED, run.error
    names = set(LightspeedShop.objects.filter(company=company, archived=False).values_list("name", flat=True))
    assert {"Downtown", "Uptown", "Outlet"} <= names
    assert LightspeedRegister.objects.filter(company=company).count() >= 3
    assert run.api_rate_limited == 0

    page = merchant_client.get(reverse("admin:lightspeed_lightspeedsettings_change", args=[stored.pk]))
    assert b"Connected to Lightspeed account 100001" in page.content
    assert (
        stored.refresh_token.encode() not in page.content and stored.auth_token.encode() not in page.content
    )


def test_denying_access_at_the_sandbox_stores_nothing(demo_sandbox, lightspeed_at, merchant_client):
    lightspeed_at(demo_sandbox)
    response = browse_fetch_token(merchant_client, merchant_client.company, approve=False)
    assert "Access was not granted" in [str(m) for m in get_messages(response.wsgi_request)][-1]
    assert LightspeedSettings.objects.get(company=merchant_client.company).refresh_token == ""


@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict-revocation"])
def test_the_connection_survives_many_rotations(sandbox_server_factory, lightspeed_at, db, strict):
    server = lightspeed_at(sandbox_server_factory(seed="empty", strict_refresh=strict))
    company = Company.objects.create(name="Rotating Co")
    settings_obj = connect_with_minted_tokens(server, company)
    seen_refresh_tokens = {settings_obj.refresh_token}

    for rotation in range(24):
        server.advance_clock(3700)  # the access token has expired at Lightspeed
        if rotation % 2:
            # our clock agrees: proactive renewal before the request
            LightspeedSettings.objects.filter(company=company).update(
                token_expires_at=timezone.now() - timedelta(seconds=1)
            )
        # otherwise only Lightspeed knows: the 401 path renews and replays
        settings_obj = LightspeedSettings.objects.get(company=company)
        assert lightspeed_client_for(settings_obj).get_account()["accountID"] == str(server.account_id)
        settings_obj.refresh_from_db()
        assert settings_obj.refresh_token not in seen_refresh_tokens
        seen_refresh_tokens.add(settings_obj.refresh_token)

    assert settings_obj.connection_status == ConnectionStatus.CONNECTED
    assert len(token_calls(server)) == 24


def test_a_short_token_ttl_over_a_real_minute_of_work_never_fails(sandbox_server_factory, lightspeed_at, db):
    server = lightspeed_at(sandbox_server_factory(seed="demo", token_ttl=4, refreshes_per_minute=30))
    company = Company.objects.create(name="Short TTL Co")
    connect_with_minted_tokens(server, company)
    deadline = timezone.now() + timedelta(seconds=20)
    calls = 0
    while timezone.now() < deadline:
        run = job_run(company_id=company.pk, job=JOBS["shops"])
        assert run.outcome == SyncRun.Outcome.SUCCEEDED, run.error
        calls += 1
        __import__("time").sleep(0.5)
    refreshes = len(token_calls(server))
    print(f"short TTL: {calls} shops runs, {refreshes} refreshes in 20 s")
    assert calls >= 5 and refreshes >= 3  # 20 s with 4-second tokens: rotated over and over
    assert LightspeedSettings.objects.get(company=company).connection_status == ConnectionStatus.CONNECTED


def test_a_reused_refresh_token_leads_to_reauthorization_required_and_one_alert(
    demo_sandbox, lightspeed_at, db
):
    server = lightspeed_at(demo_sandbox)
    company = Company.objects.create(name="Restored Backup Co")
    User.objects.create_user("owner", "owner@example.com", company=company)
    first = connect_with_minted_tokens(server, company)
    old_refresh = first.refresh_token
    token_refresh(company_id=company.pk, force=True)
    lightspeed_client_for(LightspeedSettings.objects.get(company=company)).get_account()  # uses the new pair
    # A backup restored from before the rotation brings the spent refresh token back.
    LightspeedSettings.objects.filter(company=company).update(
        refresh_token=old_refresh, token_expires_at=timezone.now()
    )

    with (
        TestCase.captureOnCommitCallbacks(execute=True),
        pytest.raises(errors.LightspeedReauthorizationRequiredError),
    ):
        token_refresh(company_id=company.pk)

    stored = LightspeedSettings.objects.get(company=company)
    assert stored.connection_status == ConnectionStatus.REAUTHORIZATION_REQUIRED
    assert "Run Fetch Token" in stored.connection_error
    assert [m.to for m in mail.outbox] == [["owner@example.com"]]
    before = len(server.requests_log())
    run = job_run(company_id=company.pk, job=JOBS["shops"])
    assert run.outcome == SyncRun.Outcome.REFUSED and "Re-authorization required" in run.error
    assert len(server.requests_log()) == before + 0 and len(mail.outbox) == 1


WORKER = """
import sys, time, django
django.setup()
from integrations.lightspeed.models import LightspeedSettings
from integrations.lightspeed.connection.services.client import lightspeed_client_for
start_at, company_id = float(sys.argv[1]), int(sys.argv[2])
client = lightspeed_client_for(LightspeedSettings.objects.get(company_id=company_id))
time.sleep(max(0.0, start_at - time.time()))
print("account", client.get_account()["accountID"], flush=True)
"""


def _database_url() -> str:
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return (
        f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    )


@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_hitting_an_expired_token_spend_the_refresh_token_once(
    demo_sandbox, lightspeed_at
):
    import os
    import subprocess
    import sys
    import time

    from django.conf import settings

    server = lightspeed_at(demo_sandbox)
    company = Company.objects.create(name="Two Workers Co")
    connect_with_minted_tokens(server, company)
    server.advance_clock(3700)  # expired at Lightspeed; both workers learn it from a 401
    before = len(token_calls(server))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lightsync.settings.test",
        "DATABASE_URL": _database_url(),
        "OAUTHLIB_INSECURE_TRANSPORT": "1",
        "LIGHTSPEED_OAUTH_URL": server.oauth_url,
        "LIGHTSPEED_API_URL": server.api_url,
        "LIGHTSPEED_CLIENT_ID": server.client_id,
        "LIGHTSPEED_CLIENT_SECRET": server.client_secret,
        "FIELD_ENCRYPTION_KEY": ",".join(settings.FIELD_ENCRYPTION_KEY),
        "REDIS_URL": settings.REDIS_URL,
    }
    start_at = str(time.time() + 8)
    workers = [
        subprocess.Popen(  # noqa: S603 - our own interpreter
            [sys.executable, "-c", WORKER, start_at, str(company.pk)],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [w.communicate(timeout=120) for w in workers]

    assert [w.returncode for w in workers] == [0, 0], outputs
    assert all(out.strip().endswith(f"account {server.account_id}") for out, _ in outputs), outputs
    assert len(token_calls(server)) - before == 1
    stored = LightspeedSettings.objects.get(company=company)
    assert stored.connection_status == ConnectionStatus.CONNECTED


def test_outages_and_rate_limits_at_the_sandbox_are_ridden_out_and_a_broken_body_is_never_read_as_empty(
    demo_sandbox, lightspeed_at, db
):
    server = lightspeed_at(demo_sandbox)
    company = Company.objects.create(name="Flaky Co")
    connect_with_minted_tokens(server, company)
    server.add_fault(method="GET", path="Shop", kind="status", status=503, count=1)
    server.add_fault(method="GET", path="Employee", kind="drop", count=1)
    server.add_fault(
        method="GET", path="Employee", kind="status", status=429, headers={"Retry-After": "1"}, count=1
    )

    run = job_run(company_id=company.pk, job=JOBS["shops"])

    assert run.outcome == SyncRun.Outcome.SUCCEEDED, run.error
    # Shop twice, Employee three times, PriceLevel once.
    assert run.api_rate_limited == 1 and run.api_requests == 6
    shops_before = LightspeedShop.objects.filter(company=company, archived=False).count()
    assert shops_before >= 3

    server.clear_faults()
    server.add_fault(method="GET", path="Shop", kind="truncated", count=1)
    broken = job_run(company_id=company.pk, job=JOBS["shops"])

    assert broken.outcome == SyncRun.Outcome.FAILED and "not JSON" in broken.error
    assert LightspeedShop.objects.filter(company=company, archived=False).count() == shops_before
