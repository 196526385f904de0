"""The Actions menu: Sync now (job_enqueue), Disconnect (revoke + clear), and the company wall
on every page and action."""
# ruff: noqa: F811 - pytest fixtures imported from pages_support are parameters of the tests

from __future__ import annotations

import dataclasses
import re
from urllib.parse import parse_qs

import pytest
import responses
from django.urls import reverse

from integrations.core.changelog import changelog_for
from integrations.lightspeed.jobs.enqueue import JobEnqueueError, job_enqueue
from integrations.lightspeed.jobs.registry import JOBS
from integrations.lightspeed.models import ConnectionStatus, LightspeedSettings, LightspeedShop, SyncRun

from .conftest import OAUTH
from .pages_support import (  # noqa: F401 - fixtures
    browser,
    connect,
    merchant_user,
    ops_browser,
    other_store,
    post,
    settings_form_data,
    settings_url,
    shops_url,
    store,
)

REVOKE_URL = f"{OAUTH}/auth/oauth/revoke"


@pytest.fixture
def sent(monkeypatch):
    """Tasks sent to the broker, recorded instead of sent."""
    calls = []

    def fake_apply_async(self, args=None, kwargs=None, **options):
        calls.append((self.name, tuple(args or ()), dict(kwargs or {})))

    monkeypatch.setattr("celery.app.task.Task.apply_async", fake_apply_async)
    return calls


def enable(store) -> None:
    connect(store)
    LightspeedSettings.objects.filter(pk=store.settings.pk).update(enabled=True)
    store.refresh()


def sync_url(store, job: str) -> str:
    return reverse("admin:lightspeed_lightspeedsettings_sync", args=[store.settings.pk, job])


def disconnect_url(store) -> str:
    return reverse("admin:lightspeed_lightspeedsettings_disconnect", args=[store.settings.pk])


# --- job_enqueue --------------------------------------------------------------------------------


def test_job_enqueue_sends_the_jobs_task_only_when_the_transaction_commits(
    store, sent, django_capture_on_commit_callbacks
):
    enable(store)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        queued = job_enqueue(company_id=store.company.pk, job="shops")
        assert sent == []  # not before the commit
    assert len(callbacks) == 1
    assert sent == [("lightspeed.download_shops", (store.company.pk,), {"trigger": "manual"})]
    assert (queued.task_name, queued.queue) == ("lightspeed.download_shops", "lightspeed.shops")


def test_job_enqueue_picks_the_per_company_task_not_the_beat_fan_out(
    store, sent, django_capture_on_commit_callbacks
):
    enable(store)
    with django_capture_on_commit_callbacks(execute=True):
        job_enqueue(company_id=store.company.pk, job="tokens", trigger="admin")
    assert sent == [("lightspeed.refresh_token", (store.company.pk,), {"trigger": "admin"})]


@pytest.fixture
def refused_job(monkeypatch) -> str:
    """A job whose own rule refuses it with these settings (as orders does without a shop)."""
    monkeypatch.setitem(
        JOBS,
        "reconcile",
        dataclasses.replace(
            JOBS["reconcile"], refusal=lambda settings_obj: "The reconcile job needs a shop."
        ),
    )
    return "reconcile"


def test_job_enqueue_refuses_unknown_jobs_and_jobs_their_own_rule_refuses(store, sent, refused_job):
    enable(store)
    with pytest.raises(JobEnqueueError, match="There is no job named 'nonsense'"):
        job_enqueue(company_id=store.company.pk, job="nonsense")
    with pytest.raises(JobEnqueueError, match=re.escape("The reconcile job needs a shop.")):
        job_enqueue(company_id=store.company.pk, job=refused_job)
    assert sent == []


def test_job_enqueue_refuses_a_registered_job_without_a_task(store, sent, monkeypatch):
    enable(store)
    monkeypatch.setitem(JOBS, "shops", dataclasses.replace(JOBS["shops"], task="lightspeed.no_such_task"))
    with pytest.raises(JobEnqueueError, match="has no task to run it"):
        job_enqueue(company_id=store.company.pk, job="shops")


def test_job_enqueue_refuses_while_lightspeed_pos_is_off(store, sent):
    connect(store)
    with pytest.raises(JobEnqueueError, match="Lightspeed POS Enabled is off"):
        job_enqueue(company_id=store.company.pk, job="shops")
    assert sent == []


# --- Sync now -----------------------------------------------------------------------------------


def test_the_actions_menu_has_a_sync_now_entry_per_job_and_says_why_one_cannot_run(
    browser, store, refused_job
):
    enable(store)
    html = browser.get(settings_url(store.settings)).content.decode()
    for name, job in JOBS.items():
        # The catalog import opens its own page, with a preview first (test_catalog_import_page.py).
        assert (f"Sync now: {name}" in html) is not job.on_request_only
    assert re.search(
        r'<button type="button" disabled title="The reconcile job [^"]*">Sync now: reconcile<', html
    )
    assert f'action="{sync_url(store, "shops")}"' in html


def test_sync_now_queues_the_job_after_a_csrf_checked_post(
    browser, store, sent, django_capture_on_commit_callbacks
):
    enable(store)
    assert browser.post(sync_url(store, "shops")).status_code == 403  # no CSRF token
    assert browser.get(sync_url(store, "shops")).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = post(browser, sync_url(store, "shops"), token_from=settings_url(store.settings))
    assert response.status_code == 302
    assert sent == [("lightspeed.download_shops", (store.company.pk,), {"trigger": "manual"})]
    html = browser.get(settings_url(store.settings)).content.decode()
    assert "The shops job is queued for Demo Outfitters" in html


def test_sync_now_of_a_refused_job_is_refused_with_the_reason(browser, store, sent, refused_job):
    enable(store)
    unavailable = refused_job
    response = post(
        browser, sync_url(store, unavailable), token_from=settings_url(store.settings), follow=True
    )
    assert f"Sync now ({unavailable}) refused: The {unavailable} job" in response.content.decode()
    assert sent == []


# --- Disconnect ---------------------------------------------------------------------------------


def test_disconnect_revokes_the_token_at_lightspeed_and_clears_it_here(
    browser, store, mocked_lightspeed, merchant_user
):
    enable(store)
    mocked_lightspeed.post(REVOKE_URL, json={})
    response = post(browser, disconnect_url(store), token_from=settings_url(store.settings), follow=True)

    assert "Disconnected: the token was revoked at Lightspeed and cleared here." in response.content.decode()
    form = parse_qs(mocked_lightspeed.calls[0].request.body)
    assert form == {
        "client_id": ["lightsync-test"],
        "client_secret": ["lightsync-test-secret"],
        "refresh_token": ["r1"],
    }
    stored = store.refresh()
    assert (stored.auth_token, stored.refresh_token, stored.enabled) == ("", "", False)
    assert stored.connection_status == ConnectionStatus.NOT_CONNECTED and stored.account_id == "100001"
    entry = changelog_for(stored).get(field="refresh_token")
    assert (entry.new_value, entry.actor, entry.actor_label) == ("cleared", merchant_user, "Disconnect")


def test_disconnect_clears_the_token_even_when_lightspeed_cannot_be_reached_and_says_so(
    browser, store, mocked_lightspeed
):
    enable(store)
    mocked_lightspeed.post(REVOKE_URL, body=responses.ConnectionError("down"))
    response = post(browser, disconnect_url(store), token_from=settings_url(store.settings), follow=True)
    html = response.content.decode()
    assert "Lightspeed did not confirm the revoke" in html and "Remove LightSync from the apps" in html
    assert store.refresh().refresh_token == ""


def test_a_token_lightspeed_already_forgot_counts_as_revoked(browser, store, mocked_lightspeed):
    enable(store)
    mocked_lightspeed.post(
        REVOKE_URL, status=400, json={"error": "invalid_grant", "error_description": "revoked"}
    )
    html = post(
        browser, disconnect_url(store), token_from=settings_url(store.settings), follow=True
    ).content.decode()
    assert "Disconnected: the token was revoked at Lightspeed" in html


def test_disconnect_needs_a_post_with_the_csrf_token(browser, store):
    enable(store)
    assert browser.get(disconnect_url(store)).status_code == 405
    assert browser.post(disconnect_url(store)).status_code == 403
    assert store.refresh().refresh_token == "r1"


# --- The company wall ---------------------------------------------------------------------------


def test_merchant_a_cannot_see_or_change_anything_of_company_b(
    browser, store, other_store, sent, mocked_lightspeed
):
    """Every page and action of the other company answers 404, and nothing changes or is sent."""
    enable(other_store)
    LightspeedSettings.objects.filter(pk=other_store.settings.pk).update(shops_mapping_enabled=True)
    token = browser.get(settings_url(store.settings)).content.decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', token).group(1)
    before = LightspeedSettings.objects.filter(pk=other_store.settings.pk).values().get()
    other = other_store.settings

    for url in (settings_url(other), settings_url(other, "?edit=1"), shops_url(other)):
        assert browser.get(url).status_code == 404, url
    posts = {
        settings_url(other): settings_form_data(other, use_company_address=True),
        shops_url(other): {f"shop_{other_store.downtown.pk}-warehouses": str(other_store.main.pk)},
        f"{shops_url(other)}redownload/": {},
        sync_url(other_store, "shops"): {},
        disconnect_url(other_store): {},
        reverse("lightspeed:fetch_token_start", args=[other_store.company.pk]): {},
    }
    for url, data in posts.items():
        assert browser.post(url, {**data, "csrfmiddlewaretoken": csrf}).status_code == 404, url

    assert LightspeedSettings.objects.filter(pk=other.pk).values().get() == before
    assert not other_store.downtown.warehouse_links.exists()
    assert sent == [] and not SyncRun.objects.exists()
    assert LightspeedShop.objects.filter(company=other_store.company).count() == 2
    html = browser.get(
        reverse("admin:lightspeed_lightspeedsettings_changelist"), follow=True
    ).content.decode()
    assert "Harbor Goods" not in html


def test_ops_staff_can_act_for_any_company(ops_browser, store, sent, django_capture_on_commit_callbacks):
    enable(store)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(ops_browser, sync_url(store, "shops"), token_from=settings_url(store.settings))
    assert response.status_code == 302
    assert sent == [("lightspeed.download_shops", (store.company.pk,), {"trigger": "manual"})]


def test_while_lightspeed_pos_is_off_the_menu_says_why_sync_now_is_unavailable(browser, store):
    connect(store)
    html = browser.get(settings_url(store.settings)).content.decode()
    assert '<li class="ls-note">Lightspeed POS Enabled is off for this company.</li>' in html
    syncing_jobs = [job for job in JOBS.values() if not job.runs_while_disabled and not job.on_request_only]
    assert html.count('disabled title="Lightspeed POS Enabled is off for this company."') == len(syncing_jobs)
