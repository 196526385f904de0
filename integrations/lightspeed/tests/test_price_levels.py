"""Price levels: downloaded with the shops job, chosen by name in Advanced settings."""
# ruff: noqa: F811 - pytest fixtures imported from pages_support are parameters of the tests

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from integrations.core.changelog import changelog_for
from integrations.lightspeed.connection.services.client import lightspeed_client_for
from integrations.lightspeed.connection.services.settings import (
    SettingsChangeError,
    lightspeed_settings_save,
)
from integrations.lightspeed.models import LightspeedPriceLevel
from integrations.lightspeed.shops.services.redownload import shops_redownload

from .conftest import resource_url
from .pages_support import (  # noqa: F401 - fixtures
    browser,
    connect,
    merchant_user,
    post,
    settings_form_data,
    settings_url,
    store,
)
from .test_jobs import EMPLOYEES_PAGE, SHOPS_PAGE


def level(level_id: int, name: str, *, archived: bool = False) -> dict:
    return {
        "priceLevelID": str(level_id),
        "name": name,
        "archived": "true" if archived else "false",
        "canBeArchived": "true" if level_id > 3 else "false",
        "type": "fixed",
        "Calculation": "",
    }


BUILT_IN = [level(1, "Default"), level(2, "MSRP"), level(3, "Online")]


def levels_page(*levels: dict) -> dict:
    body: dict = {"@attributes": {"next": "", "previous": ""}}
    if levels:
        body["PriceLevel"] = levels[0] if len(levels) == 1 else list(levels)
    return body


def download(store, mock, *levels: dict):
    mock.get(resource_url("Shop"), json=SHOPS_PAGE)
    mock.get(resource_url("Employee"), json=EMPLOYEES_PAGE)
    mock.get(resource_url("PriceLevel"), json=levels_page(*levels))
    return shops_redownload(company_id=store.company.pk)


def save(browser, store, **changes):
    url = settings_url(store.settings)
    return post(browser, url, settings_form_data(store.refresh(), **changes), token_from=url + "?edit=1")


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def options(html: str) -> list[str]:
    select = html[html.index('name="price_level"') :]
    select = select[: select.index("</select>")]
    return [part.split(">", 1)[1].split("<", 1)[0] for part in select.split("<option")[1:]]


# --- the client -------------------------------------------------------------------------------


def test_the_client_reads_every_price_level_archived_included_and_a_single_one_as_a_list(
    store, mocked_lightspeed
):
    connect(store)
    mocked_lightspeed.get(resource_url("PriceLevel"), json=levels_page(level(1, "Default")))

    levels = list(lightspeed_client_for(store.refresh()).iter_price_levels())

    assert [lv["name"] for lv in levels] == ["Default"]
    query = parse_qs(urlsplit(mocked_lightspeed.calls[0].request.url).query)
    assert query == {"archived": ["true"], "sort": ["priceLevelID"], "limit": ["100"]}


# --- the shops job ----------------------------------------------------------------------------


def test_the_shops_job_downloads_the_price_levels_and_says_which_were_added(store, mocked_lightspeed):
    connect(store)

    report = download(
        store, mocked_lightspeed, *BUILT_IN, level(4, "Wholesale"), level(5, "Staff", archived=True)
    )

    assert report.ok, report.error
    stored = LightspeedPriceLevel.objects.filter(company=store.company).order_by("price_level_id")
    assert [(lv.price_level_id, lv.name, lv.archived, lv.level_type) for lv in stored] == [
        (1, "Default", False, "fixed"),
        (2, "MSRP", False, "fixed"),
        (3, "Online", False, "fixed"),
        (4, "Wholesale", False, "fixed"),
        (5, "Staff", True, "fixed"),
    ]
    assert report.levels_added == ["Default", "MSRP", "Online", "Wholesale", "Staff"]
    assert report.summary().endswith("5 price levels: added Default, MSRP, Online, Wholesale, Staff.")


def test_downloading_again_reports_renamed_and_archived_levels_the_way_it_reports_shops(
    store, mocked_lightspeed
):
    connect(store)
    download(store, mocked_lightspeed, *BUILT_IN, level(4, "Wholesale"), level(5, "Staff"))

    # Online renamed; Wholesale archived; Staff gone from the answer altogether.
    report = download(
        store,
        mocked_lightspeed,
        level(1, "Default"),
        level(2, "MSRP"),
        level(3, "Web Shop"),
        level(4, "Wholesale", archived=True),
    )

    assert report.levels_renamed == [("Online", "Web Shop")]
    assert report.levels_archived == ["Wholesale", "Staff"]
    assert report.levels_added == []
    assert "4 price levels: renamed Online → Web Shop; archived Wholesale, Staff." in report.summary()
    assert LightspeedPriceLevel.objects.get(company=store.company, price_level_id=5).archived


def test_a_download_with_nothing_new_says_so(store, mocked_lightspeed):
    connect(store)
    download(store, mocked_lightspeed, *BUILT_IN)
    report = download(store, mocked_lightspeed, *BUILT_IN)
    assert report.summary().endswith("3 price levels: none added, renamed or archived.")


# --- the Advanced setting ---------------------------------------------------------------------


def test_before_any_download_the_three_built_in_levels_are_offered_by_name(browser, store):
    edit = html_of(browser.get(settings_url(store.settings, "?edit=1")))
    assert options(edit) == ["Default (1)", "MSRP (2)", "Online (3)"]

    read = html_of(browser.get(settings_url(store.settings)))
    assert '<div class="readonly" id="value-price_level">Default (1)</div>' in read


def test_the_downloaded_levels_are_offered_by_name_without_the_archived_ones(
    browser, store, mocked_lightspeed
):
    connect(store)
    download(store, mocked_lightspeed, *BUILT_IN, level(4, "Wholesale"), level(5, "Staff", archived=True))

    edit = html_of(browser.get(settings_url(store.settings, "?edit=1")))

    assert options(edit) == ["Default (1)", "MSRP (2)", "Online (3)", "Wholesale (4)"]


def test_choosing_a_custom_level_stores_its_id_and_the_page_and_change_log_show_its_name(
    browser, store, mocked_lightspeed, merchant_user
):
    connect(store)
    download(store, mocked_lightspeed, *BUILT_IN, level(4, "Wholesale"))

    response = save(browser, store, price_level=4)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert store.refresh().price_level == 4
    page = html_of(browser.get(settings_url(store.settings)))
    assert '<div class="readonly" id="value-price_level">Wholesale (4)</div>' in page
    entry = changelog_for(store.settings).get(field="price_level")
    assert (entry.old_value, entry.new_value, entry.actor) == ("Default (1)", "Wholesale (4)", merchant_user)
    log = page[page.index('id="change-log"') :]
    assert "Lightspeed Price Level For Site Price" in log and "Wholesale (4)" in log


def test_a_level_archived_since_it_was_chosen_is_flagged_on_the_page_but_never_blocks_another_save(
    browser, store, mocked_lightspeed
):
    connect(store)
    download(store, mocked_lightspeed, *BUILT_IN, level(4, "Wholesale"))
    save(browser, store, price_level=4)
    download(store, mocked_lightspeed, *BUILT_IN, level(4, "Wholesale", archived=True))
    message = (
        "Lightspeed Price Level For Site Price: Wholesale (4) is archived in Lightspeed, so prices sent to it "
        "are not used. Choose one of Default (1), MSRP (2), Online (3)."
    )

    # The stored level is still offered (marked), and the page says why it should not stay.
    edit = html_of(browser.get(settings_url(store.settings, "?edit=1")))
    assert "Wholesale (4) (archived)" in options(edit)
    page = html_of(browser.get(settings_url(store.settings)))
    assert message in page[page.index('id="price-level-warning"') :]
    # Turning something else on or off (say, in a hurry) is never refused because of it.
    assert save(browser, store, use_company_address=True).status_code == 302
    stored = store.refresh()
    assert (stored.price_level, stored.use_company_address) == (4, True)

    assert save(browser, store, price_level=3).status_code == 302
    assert store.refresh().price_level == 3
    assert 'id="price-level-warning"' not in html_of(browser.get(settings_url(store.settings)))


def test_choosing_an_archived_level_is_refused_with_a_message_that_says_which_to_choose(
    browser, store, mocked_lightspeed
):
    connect(store)
    download(store, mocked_lightspeed, *BUILT_IN, level(4, "Wholesale"))
    save(browser, store, price_level=4)
    download(store, mocked_lightspeed, *BUILT_IN, level(4, "Wholesale", archived=True))
    save(browser, store, price_level=3)

    html = html_of(save(browser, store, price_level=4))  # posted by hand: the form no longer offers it
    with pytest.raises(SettingsChangeError, match=r"Wholesale \(4\) is archived in Lightspeed"):
        lightspeed_settings_save(settings_obj=store.refresh(), actor=None, changes={"price_level": 4})

    assert "Select a valid choice" in html
    assert store.refresh().price_level == 3


def test_a_level_lightspeed_does_not_have_is_refused(browser, store, mocked_lightspeed):
    # Before any download: only the built-in levels.
    response = save(browser, store, price_level=4)
    assert "Select a valid choice" in html_of(response)
    assert store.refresh().price_level == 1

    # A stored level that is no longer in Lightspeed's answer at all.
    connect(store)
    download(store, mocked_lightspeed, *BUILT_IN)
    type(store.settings).objects.filter(pk=store.settings.pk).update(price_level=7)
    page = html_of(browser.get(settings_url(store.settings)))
    assert "Lightspeed Price Level For Site Price: Lightspeed has no price level 7." in page
    assert save(browser, store, use_company_address=True).status_code == 302  # not blocking
    assert store.refresh().price_level == 7


def test_a_form_posted_without_the_price_level_keeps_the_stored_one(browser, store):
    data = settings_form_data(store.refresh(), use_company_address=True)
    del data["price_level"]
    url = settings_url(store.settings)
    assert post(browser, url, data, token_from=url + "?edit=1").status_code == 302
    assert (store.refresh().price_level, store.settings.use_company_address) == (1, True)
