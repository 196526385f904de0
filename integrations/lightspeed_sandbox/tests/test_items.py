"""Item writes: create, absolute stock per shop, prices, archive, and what moves timeStamp."""

import time

import pytest

from integrations.lightspeed_sandbox.tests.conftest import as_list, item_body

pytestmark = pytest.mark.e2e


def _shops(item):
    return {row["shopID"]: row for row in as_list(item["ItemShops"]["ItemShop"])}


def _item(api, item_id):
    return api.get(f"Item/{item_id}", load_relations='["ItemShops"]')["Item"]


def test_creating_an_item_without_description_is_refused_with_the_real_message(api):
    response = api.post("Item", {"description": ""})
    assert response.status_code == 400
    assert response.json() == {
        "httpCode": "400",
        "httpMessage": "Bad Request",
        "message": "Item not created. An Item must have a description.",
        "errorClass": "Exception",
    }


def test_a_new_item_has_a_row_per_shop_and_the_shop_0_total(sandbox, api):
    sandbox.seed(records={"Shop": [{"name": "Second", "Registers": {"Register": {"name": "R"}}}]})
    item = api.post("Item", item_body("Tent")).json()["Item"]
    assert sorted(_shops(item)) == ["0", "1", "2"]
    assert len(item["systemSku"]) == 12 and item["systemSku"].isdigit()


def test_put_item_sets_absolute_stock_by_item_shop_id_or_shop_id(sandbox, api):
    sandbox.seed(records={"Shop": [{"name": "Second"}]})
    item = api.post("Item", item_body("Boot", qoh={1: 4, 2: 1})).json()["Item"]
    rows = _shops(item)
    api.put(
        f"Item/{item['itemID']}",
        {"ItemShops": {"ItemShop": [{"itemShopID": rows["1"]["itemShopID"], "qoh": "3"}]}},
    )
    api.put(f"Item/{item['itemID']}", {"ItemShops": {"ItemShop": {"shopID": 2, "qoh": 7}}})
    rows = _shops(_item(api, item["itemID"]))
    assert (rows["1"]["qoh"], rows["2"]["qoh"], rows["0"]["qoh"]) == ("3", "7", "10")
    assert rows["1"]["sellable"] == "3"
    assert rows["1"]["m"] == {"layaways": "0", "specialorders": "0", "workorders": "0"}


def test_a_negative_quantity_is_refused_and_changes_nothing(api):
    item = api.post("Item", item_body("Glove", qoh={1: 2})).json()["Item"]
    response = api.put(f"Item/{item['itemID']}", {"ItemShops": {"ItemShop": {"shopID": 1, "qoh": -1}}})
    assert response.status_code == 400
    assert _shops(_item(api, item["itemID"]))["1"]["qoh"] == "2"


def test_an_item_shop_of_another_item_is_refused(api):
    first = api.post("Item", item_body("A")).json()["Item"]
    second = api.post("Item", item_body("B")).json()["Item"]
    foreign = _shops(second)["1"]["itemShopID"]
    response = api.put(
        f"Item/{first['itemID']}", {"ItemShops": {"ItemShop": {"itemShopID": foreign, "qoh": 1}}}
    )
    assert response.status_code == 400


def test_stock_changes_move_item_shop_timestamp_but_not_item_timestamp(sandbox, api):
    item = api.post("Item", item_body("Sock", qoh={1: 1})).json()["Item"]
    sandbox.advance_clock(120)
    api.put(f"Item/{item['itemID']}", {"ItemShops": {"ItemShop": {"shopID": 1, "qoh": 9}}})
    after = _item(api, item["itemID"])
    assert after["timeStamp"] == item["timeStamp"]
    assert _shops(after)["1"]["timeStamp"] > _shops(item)["1"]["timeStamp"]
    assert _shops(after)["0"]["timeStamp"] > _shops(item)["0"]["timeStamp"]
    changed = api.get("ItemShop", timeStamp=f">,{item['timeStamp']}", sort="timeStamp")
    assert {row["shopID"] for row in as_list(changed["ItemShop"])} == {"0", "1"}


def test_price_and_cost_changes_move_item_timestamp(sandbox, api):
    item = api.post("Item", item_body("Hat")).json()["Item"]
    sandbox.advance_clock(60)
    updated = api.put(
        f"Item/{item['itemID']}",
        {"defaultCost": "3.10", "Prices": {"ItemPrice": [{"useTypeID": "1", "amount": "9.95"}]}},
    ).json()["Item"]
    assert updated["timeStamp"] > item["timeStamp"]
    assert updated["defaultCost"] == "3.1"
    assert as_list(updated["Prices"]["ItemPrice"])[0]["amount"] == "9.95"


def test_put_leaves_fields_it_does_not_mention(api):
    item = api.post("Item", item_body("Keep", customSku="K-1", upc="012345678905")).json()["Item"]
    updated = api.put(f"Item/{item['itemID']}", {"manufacturerSku": "M-9"}).json()["Item"]
    assert (updated["customSku"], updated["upc"], updated["manufacturerSku"]) == (
        "K-1",
        "012345678905",
        "M-9",
    )


def test_delete_item_archives_it_and_zeroes_its_stock(api):
    item = api.post("Item", item_body("Gone", qoh={1: 5})).json()["Item"]
    response = api.call("DELETE", f"Item/{item['itemID']}")
    assert response.status_code == 200
    assert response.json()["Item"]["archived"] == "true"
    rows = _shops(_item(api, item["itemID"]))
    assert rows["1"]["qoh"] == rows["0"]["qoh"] == "0"


def test_item_shop_list_is_sorted_by_timestamp_and_put_only_changes_reorder_fields(sandbox, api):
    first = api.post("Item", item_body("Early", qoh={1: 1})).json()["Item"]
    sandbox.advance_clock(30)
    api.post("Item", item_body("Late", qoh={1: 1}))
    sandbox.advance_clock(30)
    api.put(f"Item/{first['itemID']}", {"ItemShops": {"ItemShop": {"shopID": 1, "qoh": 2}}})
    rows = as_list(api.get("ItemShop", sort="timeStamp")["ItemShop"])
    stamps = [row["timeStamp"] for row in rows]
    assert stamps == sorted(stamps) and rows[-1]["itemID"] == first["itemID"]
    shop_row = _shops(_item(api, first["itemID"]))["1"]
    assert api.put(f"ItemShop/{shop_row['itemShopID']}", {"qoh": 50}).status_code == 400
    updated = api.put(f"ItemShop/{shop_row['itemShopID']}", {"reorderPoint": 4}).json()["ItemShop"]
    assert (updated["reorderPoint"], updated["qoh"]) == ("4", "2")


def test_timestamps_are_utc_seconds_on_the_sandbox_clock(sandbox, api):
    sandbox.freeze_clock()  # the expected stamp cannot roll over to the next second (or day)
    tomorrow = sandbox.advance_clock(86400)["epoch"]
    assert tomorrow > time.time() + 86000
    api.token = sandbox.mint_tokens()["access_token"]  # the old one expired a day ago
    item = api.post("Item", item_body("Tomorrow")).json()["Item"]
    assert item["createTime"] == time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(int(tomorrow)))


def test_a_custom_sku_already_in_use_is_a_409_but_a_shared_upc_is_fine(api):
    api.post("Item", item_body("First", customSku="DUP-1", upc="012345678905"))
    taken = api.post("Item", item_body("Second", customSku="DUP-1"))
    assert taken.status_code == 409
    assert taken.json()["httpMessage"] == "Conflict"
    assert api.post("Item", item_body("Third", customSku="DUP-2", upc="012345678905")).status_code == 200


def test_the_shop_0_total_cannot_be_set_directly(api):
    item = api.post("Item", item_body("Total", qoh={1: 2})).json()["Item"]
    response = api.put(f"Item/{item['itemID']}", {"ItemShops": {"ItemShop": {"shopID": 0, "qoh": 50}}})
    assert response.status_code == 400
    assert _shops(_item(api, item["itemID"]))["0"]["qoh"] == "2"


def test_upc_and_ean_must_be_11_to_14_digits(api):
    assert api.post("Item", item_body("Bad code", upc="12345")).status_code == 400
    assert api.post("Item", item_body("Good code", ean="4006381333931")).status_code == 200


def test_an_update_cannot_archive_only_delete_does(api):
    item = api.post("Item", item_body("Stays")).json()["Item"]
    assert api.put(f"Item/{item['itemID']}", {"archived": True}).json()["Item"]["archived"] == "false"


def test_a_new_item_has_the_default_msrp_and_online_price_levels(api):
    prices = api.post("Item", item_body("Levels")).json()["Item"]["Prices"]["ItemPrice"]
    assert [p["useType"] for p in prices] == ["Default", "MSRP", "Online"]
