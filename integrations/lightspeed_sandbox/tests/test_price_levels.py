"""PriceLevel: the built-in levels of every account, custom ones, and the names items carry."""

import pytest
import requests

from integrations.lightspeed_sandbox.tests.conftest import as_list, item_body

pytestmark = pytest.mark.e2e


def prices_of(api, item_id) -> dict[str, tuple[str, str]]:
    """useTypeID → (useType, amount) of one item."""
    prices = as_list(api.get(f"Item/{item_id}")["Item"]["Prices"]["ItemPrice"])
    return {p["useTypeID"]: (p["useType"], p["amount"]) for p in prices}


def test_every_account_has_the_default_msrp_and_online_price_levels_as_lightspeed_lists_them(api):
    body = api.get("PriceLevel")

    assert body["@attributes"] == {"next": "", "previous": ""}
    assert body["PriceLevel"] == [
        {
            "priceLevelID": "1",
            "name": "Default",
            "archived": "false",
            "canBeArchived": "false",
            "type": "fixed",
            "Calculation": "",
        },
        {
            "priceLevelID": "2",
            "name": "MSRP",
            "archived": "false",
            "canBeArchived": "false",
            "type": "fixed",
            "Calculation": "",
        },
        {
            "priceLevelID": "3",
            "name": "Online",
            "archived": "false",
            "canBeArchived": "false",
            "type": "fixed",
            "Calculation": "",
        },
    ]


def test_one_price_level_is_an_object_with_a_count_and_an_unknown_one_is_404(api):
    assert api.get("PriceLevel/3") == {
        "@attributes": {"count": "1"},
        "PriceLevel": {
            "priceLevelID": "3",
            "name": "Online",
            "archived": "false",
            "canBeArchived": "false",
            "type": "fixed",
            "Calculation": "",
        },
    }
    missing = api.call("GET", "PriceLevel/99")
    assert missing.status_code == 404
    assert missing.json()["message"] == "Object of type 'PriceLevel' not found with primary ID '99'."


def test_price_levels_need_no_particular_scope(sandbox):
    from integrations.lightspeed_sandbox.tests.conftest import Api

    token = sandbox.mint_tokens(scope="employee:inventory")["access_token"]
    assert as_list(Api(sandbox, token).get("PriceLevel")["PriceLevel"])[0]["name"] == "Default"


def test_the_demo_account_has_a_wholesale_level_and_every_item_a_price_for_each_level(demo_api):
    levels = demo_api.get("PriceLevel")["PriceLevel"]
    assert [(level["priceLevelID"], level["name"], level["canBeArchived"]) for level in levels] == [
        ("1", "Default", "false"),
        ("2", "MSRP", "false"),
        ("3", "Online", "false"),
        ("4", "Wholesale", "true"),
    ]
    item = as_list(demo_api.get("Item", limit=1)["Item"])[0]
    prices = as_list(item["Prices"]["ItemPrice"])
    assert [(p["useTypeID"], p["useType"]) for p in prices] == [
        ("1", "Default"),
        ("2", "MSRP"),
        ("3", "Online"),
        ("4", "Wholesale"),
    ]


def test_archived_levels_are_listed_only_when_asked_for(sandbox, api):
    sandbox.seed(
        records={
            "PriceLevel": [
                {"priceLevelID": 4, "name": "Wholesale"},
                {"priceLevelID": 5, "name": "Staff", "archived": True},
            ]
        }
    )

    assert [p["name"] for p in api.get("PriceLevel")["PriceLevel"]] == [
        "Default",
        "MSRP",
        "Online",
        "Wholesale",
    ]
    assert len(api.get("PriceLevel", archived="true")["PriceLevel"]) == 5
    only = api.get("PriceLevel", archived="only")["PriceLevel"]
    assert isinstance(only, dict) and only["name"] == "Staff" and only["archived"] == "true"


def test_price_levels_page_with_a_cursor_and_sort_by_name_or_id_only(sandbox, api):
    sandbox.seed(records={"PriceLevel": [{"priceLevelID": 4, "name": "Wholesale"}]})

    first = api.get("PriceLevel", limit=3)
    assert [p["priceLevelID"] for p in first["PriceLevel"]] == ["1", "2", "3"]
    following = requests.get(
        first["@attributes"]["next"], headers={"Authorization": f"Bearer {api.token}"}, timeout=30
    ).json()
    assert following["PriceLevel"]["name"] == "Wholesale" and following["@attributes"]["next"] == ""
    by_name = api.get("PriceLevel", sort="-name")["PriceLevel"]
    assert [p["name"] for p in by_name] == ["Wholesale", "Online", "MSRP", "Default"]
    assert api.call("GET", "PriceLevel", params={"sort": "timeStamp"}).status_code == 400


def test_renaming_a_level_renames_it_on_every_item(api):
    item = api.post("Item", item_body("Lamp")).json()["Item"]

    renamed = api.put("PriceLevel/3", {"name": "Web Shop"})

    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["PriceLevel"]["name"] == "Web Shop"
    assert prices_of(api, item["itemID"])["3"] == ("Web Shop", "0")


def test_a_built_in_level_cannot_be_archived_and_a_name_cannot_be_empty(api):
    refused = api.put("PriceLevel/1", {"archived": True})
    assert refused.status_code == 400
    assert "cannot be archived" in refused.json()["message"]
    assert api.put("PriceLevel/2", {"name": "  "}).status_code == 400
    assert api.get("PriceLevel/1")["PriceLevel"]["archived"] == "false"


def test_a_new_level_gives_every_item_a_price_for_it_that_can_then_be_set(sandbox, api):
    item = api.post("Item", item_body("Lamp")).json()["Item"]
    sandbox.seed(records={"PriceLevel": [{"priceLevelID": 4, "name": "Wholesale"}]})
    assert prices_of(api, item["itemID"])["4"] == ("Wholesale", "0")

    updated = api.put(
        f"Item/{item['itemID']}", {"Prices": {"ItemPrice": {"useTypeID": "4", "amount": "12.5"}}}
    )

    assert updated.status_code == 200, updated.text
    assert prices_of(api, item["itemID"])["4"] == ("Wholesale", "12.5")


def test_a_price_for_a_level_the_account_lacks_or_archived_is_refused(sandbox, api):
    item = api.post("Item", item_body("Lamp")).json()["Item"]
    sandbox.seed(records={"PriceLevel": [{"priceLevelID": 4, "name": "Wholesale"}]})
    assert api.put("PriceLevel/4", {"archived": True}).status_code == 200

    unknown = api.put(f"Item/{item['itemID']}", {"Prices": {"ItemPrice": {"useTypeID": "9", "amount": "5"}}})
    archived = api.put(f"Item/{item['itemID']}", {"Prices": {"ItemPrice": {"useTypeID": "4", "amount": "5"}}})

    assert unknown.status_code == 400 and "no price level" in unknown.json()["message"]
    assert archived.status_code == 400 and "archived" in archived.json()["message"]
    assert prices_of(api, item["itemID"])["4"] == ("Wholesale", "0")
