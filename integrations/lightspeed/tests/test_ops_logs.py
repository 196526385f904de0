"""After a full run against the sandbox, no log line holds a token, a secret or personal data."""

from __future__ import annotations

import contextlib
import io
import logging
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from integrations.commerce.models import Company
from integrations.core import demo_catalogue as catalogue
from integrations.core.logging import ContextFilter, JsonFormatter, RedactingFilter
from integrations.lightspeed.connection.services.demo import lightspeed_demo_setup
from integrations.lightspeed.models import ConnectionStatus, LightspeedSettings, MetricCounter, SyncRun
from integrations.lightspeed.models.orders import LightspeedSale

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def at_sandbox(settings, monkeypatch, demo_sandbox):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    settings.LIGHTSPEED_OAUTH_URL = demo_sandbox.oauth_url
    settings.LIGHTSPEED_API_URL = demo_sandbox.api_url
    settings.LIGHTSPEED_CLIENT_ID = demo_sandbox.client_id
    settings.LIGHTSPEED_CLIENT_SECRET = demo_sandbox.client_secret
    return demo_sandbox


@pytest.fixture
def shipped_log():
    """The console handler as LOGGING configures it (filters and JSON), at DEBUG on the root."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)


def test_a_full_sync_logs_no_token_secret_or_customer_data(at_sandbox, caplog, shipped_log):
    call_command("seed_demo", "--password", "demo-Pass-123", stdout=io.StringIO())
    company = Company.objects.get(name=catalogue.DEMO_COMPANY)
    tokens = at_sandbox.mint_tokens()
    LightspeedSettings.objects.filter(company=company).update(
        enabled=True,
        account_id=str(at_sandbox.account_id),
        connection_status=ConnectionStatus.CONNECTED,
        token_received_at=timezone.now() - timedelta(hours=1),
        # expiring: the tokens job renews the pair, so rotated tokens pass through the code too
        token_expires_at=timezone.now() + timedelta(minutes=2),
    )
    settings_obj = LightspeedSettings.objects.get(company=company)
    settings_obj.auth_token, settings_obj.refresh_token = tokens["access_token"], tokens["refresh_token"]
    settings_obj.save()
    lightspeed_demo_setup()

    caplog.set_level(logging.DEBUG)
    for job in ("tokens", "shops", "all"):
        if job == "all":
            lightspeed_demo_setup()  # idempotent: running it again after the shops download changes nothing
        with contextlib.suppress(CommandError):  # a failed run is fine: its logs are what is checked
            call_command(
                "lightspeed_sync",
                job,
                "--company",
                str(company.pk),
                stdout=io.StringIO(),
                stderr=io.StringIO(),
            )

    settings_obj.refresh_from_db()
    assert settings_obj.auth_token != tokens["access_token"]  # the pair was rotated
    assert LightspeedSale.objects.filter(company=company).exists()  # sales with customers came down
    assert SyncRun.objects.filter(company=company, job="orders").exists()
    assert MetricCounter.objects.get(name="orders_imported").value > 0  # and /metrics counted them
    secrets = {
        tokens["access_token"],
        tokens["refresh_token"],
        settings_obj.auth_token,
        settings_obj.refresh_token,
        at_sandbox.client_secret,
    }
    personal = set()
    for customer in catalogue.demo_customers():
        personal |= {
            customer.email,
            f"{customer.first_name} {customer.last_name}",
            customer.phone,
            customer.address1,
        }
    raw, shipped = caplog.text, shipped_log.getvalue()
    print(f"checked {len(caplog.records)} log records, {LightspeedSale.objects.count()} sales imported")
    assert len(caplog.records) > 10 and shipped.count("\n") > 10  # there were logs to check
    for value in sorted(secrets | personal):
        if value:
            assert value not in raw, f"{value!r} reached a log record"
            assert value not in shipped, f"{value!r} reached the shipped log"
