"""General Settings: a Save counts and logs only what the person changed.

The edit page shows the Order Download Start Date to the minute and never sends the Client
Secret back, so a Save that only ticks a box posts both "as shown"; neither is a change.
"""
# ruff: noqa: F811 - pytest fixtures imported from pages_support are parameters of the tests

from __future__ import annotations

import re
from datetime import UTC, datetime

from integrations.core.changelog import changelog_for
from integrations.lightspeed.models import LightspeedSettings

from .pages_support import (  # noqa: F401 - fixtures
    browser,
    merchant_user,
    post,
    settings_form_data,
    settings_url,
    store,
)

# `make demo` stores "now minus 30 days": seconds and microseconds that the page does not show.
START = datetime(2026, 10, 27, 18, 19, 42, 123456, tzinfo=UTC)


def save_as_shown(browser, store, **changes):
    """Opens Edit and posts the start date exactly as the page shows it, plus `changes`."""
    url = settings_url(store.settings)
    edit = browser.get(url + "?edit=1").content.decode()
    field = re.search(r'<input[^>]*name="order_download_start"[^>]*>', edit).group(0)
    shown = re.search(r'value="([^"]*)"', field)
    data = settings_form_data(
        store.refresh(), order_download_start=shown.group(1) if shown else "", **changes
    )
    post(browser, url, data, token_from=url + "?edit=1")
    return messages_on(browser.get(url).content.decode())


def messages_on(html: str) -> str:
    """The text of the page's messages ("General Settings saved (1 changed).")."""
    listed = re.search(r'<ul class="messagelist">(.*?)</ul>', html, re.S)
    return " ".join(re.findall(r"<li[^>]*>([^<]+)</li>", listed.group(1))) if listed else ""


def test_ticking_one_box_saves_one_change_and_keeps_the_start_date_to_the_microsecond(browser, store):
    LightspeedSettings.objects.filter(pk=store.settings.pk).update(order_download_start=START)

    page = save_as_shown(browser, store, use_company_address=True)

    assert "General Settings saved (1 changed)." in page
    stored = store.refresh()
    assert stored.use_company_address is True
    assert stored.order_download_start == START
    assert list(changelog_for(stored).values_list("field", flat=True)) == ["use_company_address"]


def test_an_empty_client_secret_box_is_not_counted_as_a_change(browser, store):
    LightspeedSettings.objects.filter(pk=store.settings.pk).update(client_id="own", client_secret="keep-me")

    page = save_as_shown(browser, store, use_company_address=True)

    assert "General Settings saved (1 changed)." in page
    assert store.refresh().client_secret == "keep-me"


def test_a_start_date_moved_by_a_minute_is_a_change(browser, store):
    LightspeedSettings.objects.filter(pk=store.settings.pk).update(order_download_start=START)

    page = save_as_shown(browser, store)
    assert "Nothing was changed." in page
    url = settings_url(store.settings)
    data = settings_form_data(store.refresh(), order_download_start="2026-10-27T18:18")
    post(browser, url, data, token_from=url + "?edit=1")

    assert store.refresh().order_download_start == datetime(2026, 10, 27, 18, 18, tzinfo=UTC)
    assert list(changelog_for(store.settings).values_list("field", flat=True)) == ["order_download_start"]
