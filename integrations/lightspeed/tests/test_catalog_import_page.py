"""The "Import Lightspeed items as products" page: preview first, then import; company walled, CSRF."""
# ruff: noqa: F811 - pytest fixtures imported from pages_support are parameters of the tests

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.lightspeed.models import LightspeedSettings, SyncRun

from .pages_support import browser, connect, merchant_user, other_store, post, settings_url, store  # noqa: F401
from .test_pages_actions import sent  # noqa: F401 - fixture


def import_url(settings_obj) -> str:
    return reverse("admin:lightspeed_lightspeedsettings_catalog_import", args=[settings_obj.pk])


@pytest.fixture
def enabled(store):
    connect(store)
    LightspeedSettings.objects.filter(pk=store.settings.pk).update(enabled=True)
    return store.refresh()


def finished(settings_obj, *, dry_run: bool, **counts) -> SyncRun:
    return SyncRun.objects.create(
        company_id=settings_obj.company_id,
        job="catalog_import",
        dry_run=dry_run,
        outcome=SyncRun.Outcome.SUCCEEDED,
        finished_at=timezone.now(),
        counts=counts,
    )


def test_general_settings_actions_open_the_import_page_which_offers_a_preview_first(browser, enabled):
    html = browser.get(settings_url(enabled)).content.decode()
    assert f'href="{import_url(enabled)}" id="catalog-import">Import Lightspeed items as products<' in html

    page = browser.get(import_url(enabled)).content.decode()
    assert 'id="run-preview"' in page and 'id="run-import"' not in page


def test_preview_queues_a_dry_run_and_import_queues_the_real_one(
    browser, enabled, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post(browser, import_url(enabled), {"step": "preview"})
    finished(
        enabled,
        dry_run=True,
        products_created=7,
        already_linked=2,
        sku_clashes=1,
        styles_created=1,
        variations_attached=3,
    )
    page = browser.get(import_url(enabled)).content.decode()
    assert "<th>Products it would create</th><td>7</td>" in page
    assert "<th>Styles it would create (one per Lightspeed matrix)</th><td>1</td>" in page
    assert "<th>Products it would make variations</th><td>3</td>" in page
    assert "<th>SKU clashes (an issue each, no product)</th><td>1</td>" in page

    with django_capture_on_commit_callbacks(execute=True):
        post(browser, import_url(enabled), {"step": "import"})

    assert [(name, kwargs.get("dry_run", False)) for name, _, kwargs in sent] == [
        ("lightspeed.catalog_import", True),
        ("lightspeed.catalog_import", False),
    ]


def test_a_running_import_shows_its_progress_and_no_buttons(browser, enabled):
    SyncRun.objects.create(
        company_id=enabled.company_id,
        job="catalog_import",
        progress_done=300,
        progress_total=1200,
        api_requests=4,
    )
    page = browser.get(import_url(enabled)).content.decode()
    assert "300 of 1200 items read, 4 requests" in page
    assert 'http-equiv="refresh"' in page and 'id="run-preview"' not in page


def test_a_merchant_cannot_open_or_start_another_companys_import(browser, other_store, sent):
    assert browser.get(import_url(other_store.settings)).status_code == 404
    assert (
        browser.post(import_url(other_store.settings), {"step": "import"}).status_code == 403
    )  # no CSRF token
    assert sent == []


def test_the_import_is_refused_in_words_while_disconnected(
    browser, store, sent, django_capture_on_commit_callbacks
):
    page = browser.get(import_url(store.settings)).content.decode()
    assert "Lightspeed POS Enabled is off" in page
    with django_capture_on_commit_callbacks(execute=True):
        post(browser, import_url(store.settings), {"step": "import"}, token_from=settings_url(store.settings))
    assert sent == []
