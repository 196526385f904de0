"""Item matrices and attribute sets: the writes of the docs' tutorial, the loads, and the rules."""

import pytest

from integrations.core.demo_catalogue import demo_lightspeed_items, demo_lightspeed_matrices
from integrations.lightspeed_sandbox.tests.conftest import as_list

pytestmark = pytest.mark.e2e


def _matrix(api, description="T-Shirt", set_id=1, **fields):
    response = api.post("ItemMatrix", {"description": description, "itemAttributeSetID": set_id, **fields})
    assert response.status_code == 200, response.text
    return response.json()["ItemMatrix"]


def _variant(api, matrix_id, **attributes):
    body = {"itemMatrixID": matrix_id, "ItemAttributes": {"itemAttributeSetID": "1", **attributes}}
    return api.post("Item", body)


def test_a_matrix_created_as_in_the_tutorial_has_prices_and_empty_value_lists(api):
    matrix = _matrix(api, Prices={"ItemPrice": [{"useTypeID": 1, "amount": "20"}]})
    assert matrix["itemAttributeSetID"] == "1" and matrix["archived"] == "false"
    assert matrix["attribute1Values"] == "" and matrix["attribute2Values"] == ""
    assert "attribute3Values" not in matrix
    prices = {p["useType"]: p["amount"] for p in matrix["Prices"]["ItemPrice"]}
    assert prices == {"Default": "20", "MSRP": "0", "Online": "0"}


def test_an_item_posted_with_item_matrix_id_and_attributes_joins_the_matrix(api):
    matrix = _matrix(api)
    response = _variant(api, matrix["itemMatrixID"], attribute1="White", attribute2="Small")
    assert response.status_code == 200, response.text
    item = response.json()["Item"]
    assert item["itemMatrixID"] == matrix["itemMatrixID"]
    assert item["ItemAttributes"] == {
        "attribute1": "White",
        "attribute2": "Small",
        "attribute3": "",
        "itemAttributeSetID": "1",
    }
    # Without a description of its own, the item is named after its matrix and values.
    assert item["description"] == "T-Shirt White Small"
    # One value is a string, several a list: Lightspeed's one-element rule.
    assert api.get(f"ItemMatrix/{matrix['itemMatrixID']}")["ItemMatrix"]["attribute1Values"] == "White"
    _variant(api, matrix["itemMatrixID"], attribute1="Black", attribute2="Small")
    again = api.get(f"ItemMatrix/{matrix['itemMatrixID']}")["ItemMatrix"]
    assert again["attribute1Values"] == ["White", "Black"] and again["attribute2Values"] == "Small"


def test_load_relations_items_returns_the_matrix_items_and_all_adds_the_attribute_set(api):
    matrix = _matrix(api)
    first = _variant(api, matrix["itemMatrixID"], attribute1="Red", attribute2="S").json()["Item"]
    second = _variant(api, matrix["itemMatrixID"], attribute1="Red", attribute2="M").json()["Item"]
    api.post("Item", {"description": "Not in it"})
    loaded = api.get(f"ItemMatrix/{matrix['itemMatrixID']}", load_relations='["Items"]')["ItemMatrix"]
    assert [i["itemID"] for i in loaded["Items"]["Item"]] == [first["itemID"], second["itemID"]]
    assert "ItemAttributeSet" not in loaded
    everything = api.get(f"ItemMatrix/{matrix['itemMatrixID']}", load_relations="all")["ItemMatrix"]
    assert everything["ItemAttributeSet"]["name"] == "Color/Size"
    assert len(everything["Items"]["Item"]) == 2


def test_an_item_put_in_a_matrix_without_values_has_empty_item_attributes_as_recorded(api):
    matrix = _matrix(api, "Pearls", set_id=2)
    item = api.post("Item", {"description": "12mm Pearls"}).json()["Item"]
    assert "ItemAttributes" not in api.get(f"Item/{item['itemID']}", load_relations="all")["Item"]
    assert api.put(f"Item/{item['itemID']}", {"itemMatrixID": matrix["itemMatrixID"]}).status_code == 200
    loaded = api.get(f"Item/{item['itemID']}", load_relations="all")["Item"]
    assert loaded["description"] == "12mm Pearls"
    assert (
        loaded["ItemAttributes"]["attribute2"] == "" and loaded["ItemAttributes"]["itemAttributeSetID"] == "2"
    )
    assert loaded["ItemAttributes"]["ItemAttributeSet"]["attributeName2"] == "Size"
    assert loaded["itemAttributesID"] != "0"


def test_items_are_found_by_matrix_and_by_attribute_value(api):
    matrix = _matrix(api)
    navy = _variant(api, matrix["itemMatrixID"], attribute1="Navy", attribute2="S").json()["Item"]
    _variant(api, matrix["itemMatrixID"], attribute1="Moss", attribute2="S")
    api.post("Item", {"description": "Plain"})
    in_matrix = as_list(api.get("Item", itemMatrixID=matrix["itemMatrixID"])["Item"])
    assert len(in_matrix) == 2
    plain = as_list(api.get("Item", itemMatrixID="0")["Item"])
    assert [i["description"] for i in plain] == ["Plain"]
    found = api.get("Item", **{"load_relations": '["ItemAttributes"]', "ItemAttributes.attribute1": "Navy"})
    assert found["Item"]["itemID"] == navy["itemID"]


def test_a_second_item_with_the_same_values_or_another_attribute_set_is_refused(api):
    matrix = _matrix(api)
    assert _variant(api, matrix["itemMatrixID"], attribute1="Navy", attribute2="S").status_code == 200
    duplicate = _variant(api, matrix["itemMatrixID"], attribute1="Navy", attribute2="S")
    assert duplicate.status_code == 400
    assert "already has an item Navy/S" in duplicate.json()["message"]
    wrong_set = api.post(
        "Item", {"itemMatrixID": matrix["itemMatrixID"], "ItemAttributes": {"itemAttributeSetID": 3}}
    )
    assert wrong_set.status_code == 400
    missing = api.post("Item", {"description": "x", "itemMatrixID": 999})
    assert missing.status_code == 400
    assert missing.json()["message"] == "Item not created. There is no ItemMatrix 999."


def test_a_matrix_needs_a_description_and_an_attribute_set(api):
    no_description = api.post("ItemMatrix", {"itemAttributeSetID": 1})
    assert no_description.status_code == 400
    assert (
        no_description.json()["message"] == "ItemMatrix not created. An ItemMatrix must have a description."
    )
    assert api.post("ItemMatrix", {"description": "x"}).status_code == 400
    assert api.post("ItemMatrix", {"description": "x", "itemAttributeSetID": 9}).status_code == 400


def test_put_updates_a_matrix_and_moves_its_time_stamp_only_when_something_changed(sandbox, api):
    matrix = _matrix(api, "Chairs")
    sandbox.advance_clock(60)
    same = api.put(f"ItemMatrix/{matrix['itemMatrixID']}", {"description": "Chairs"}).json()["ItemMatrix"]
    assert same["timeStamp"] == matrix["timeStamp"]
    body = {
        "description": "Pool Chairs",
        "tax": "false",
        "Prices": {"ItemPrice": [{"useType": "MSRP", "amount": "15"}]},
    }
    updated = api.put(f"ItemMatrix/{matrix['itemMatrixID']}", body).json()["ItemMatrix"]
    assert (updated["description"], updated["tax"]) == ("Pool Chairs", "false")
    assert {p["useType"]: p["amount"] for p in updated["Prices"]["ItemPrice"]}["MSRP"] == "15"
    assert updated["timeStamp"] > matrix["timeStamp"]


def test_delete_archives_the_matrix_and_all_its_items(api):
    matrix = _matrix(api)
    body = {
        "itemMatrixID": matrix["itemMatrixID"],
        "ItemAttributes": {"attribute1": "Red", "attribute2": "S"},
        "ItemShops": {"ItemShop": [{"shopID": 1, "qoh": 5}]},
    }
    item = api.post("Item", body).json()["Item"]
    archived = api.call("DELETE", f"ItemMatrix/{matrix['itemMatrixID']}").json()["ItemMatrix"]
    assert archived["archived"] == "true"
    assert "ItemMatrix" not in api.get("ItemMatrix")
    assert api.get("ItemMatrix", archived="only")["ItemMatrix"]["itemMatrixID"] == matrix["itemMatrixID"]
    gone = api.get(f"Item/{item['itemID']}", load_relations='["ItemShops"]')["Item"]
    assert gone["archived"] == "true"
    assert {row["qoh"] for row in as_list(gone["ItemShops"]["ItemShop"])} == {"0"}


def test_matrices_page_sort_and_count_like_other_resources(api):
    for name in ("Charlie", "Alpha", "Bravo"):
        _matrix(api, name)
    first = api.get("ItemMatrix", sort="description", limit=2)
    assert [m["description"] for m in first["ItemMatrix"]] == ["Alpha", "Bravo"]
    rest = api.session.get(
        first["@attributes"]["next"], headers={"Authorization": f"Bearer {api.token}"}
    ).json()
    assert rest["ItemMatrix"]["description"] == "Charlie"
    assert api.get("ItemMatrix", count=1) == {"@attributes": {"count": "3"}}
    refused = api.call("GET", "ItemMatrix", params={"sort": "itemAttributeSetID"})
    assert refused.status_code == 400


def test_a_matrix_request_costs_its_relations_and_a_write_its_nested_entities(api):
    plain = api.call("GET", "ItemMatrix")
    assert plain.headers["X-LS-API-Request-Cost"] == "1"
    loaded = api.call("GET", "ItemMatrix", params={"load_relations": '["Items","ItemAttributeSet"]'})
    assert loaded.headers["X-LS-API-Request-Cost"] == "1.6"  # (0.2 + 0.1) doubled on a query
    matrix = _matrix(api)
    write = _variant(api, matrix["itemMatrixID"], attribute1="Red", attribute2="S")
    assert write.headers["X-LS-API-Request-Cost"] == "1.5"  # the ItemAttributes entity


def test_attribute_sets_are_the_four_built_in_ones_and_read_only(api):
    sets = api.get("ItemAttributeSet")["ItemAttributeSet"]
    assert [(s["itemAttributeSetID"], s["name"]) for s in sets] == [
        ("1", "Color/Size"),
        ("2", "Size"),
        ("3", "Color"),
        ("4", "3 Attributes"),
    ]
    assert api.get("ItemAttributeSet/2")["ItemAttributeSet"]["attributeName2"] == "Size"
    assert api.post("ItemAttributeSet", {"name": "Fabric"}).status_code == 405
    assert api.call("GET", "ItemAttributeSet/9").status_code == 404


def test_a_token_with_inventory_read_reads_matrices_but_cannot_write_them(sandbox, api):
    token = sandbox.mint_tokens(scope="employee:inventory_read")["access_token"]
    assert api.call("GET", "ItemMatrix", token=token).status_code == 200
    assert api.call("GET", "ItemAttributeSet", token=token).status_code == 200
    refused = api.call("POST", "ItemMatrix", json={"description": "x", "itemAttributeSetID": 1}, token=token)
    assert refused.status_code == 403


def test_the_demo_account_has_the_catalogue_matrices_with_their_items(demo_api):
    matrices = demo_api.get("ItemMatrix", load_relations='["Items"]')["ItemMatrix"]
    expected = {m.matrix_id: m for m in demo_lightspeed_matrices()}
    assert {int(m["itemMatrixID"]) for m in matrices} == set(expected)
    members = {}
    for item in demo_lightspeed_items():
        if item.matrix_id:
            members.setdefault(item.matrix_id, set()).add(str(item.item_id))
    for matrix in matrices:
        wanted = expected[int(matrix["itemMatrixID"])]
        assert matrix["description"] == wanted.description
        assert matrix["itemAttributeSetID"] == str(wanted.item_attribute_set_id)
        assert {i["itemID"] for i in as_list(matrix["Items"]["Item"])} == members[wanted.matrix_id]
    size_only = demo_api.get("ItemMatrix/2")["ItemMatrix"]
    assert "attribute1Values" not in size_only and len(size_only["attribute2Values"]) == 5


def test_payment_types_are_served_read_only_with_the_documented_fields(demo_api):
    types = demo_api.get("PaymentType")["PaymentType"]
    assert [t["name"] for t in types] == ["Cash", "Check", "Credit Card", "Gift Card", "Credit Account"]
    assert set(types[0]) == {
        "paymentTypeID",
        "name",
        "requireCustomer",
        "archived",
        "internalReserved",
        "type",
        "refundAsPaymentTypeID",
    }
    assert {t["type"] for t in types} <= {
        "cash",
        "gift card",
        "credit account",
        "credit card",
        "user defined",
    }
    assert demo_api.get("PaymentType/3")["PaymentType"]["type"] == "credit card"
    assert demo_api.post("PaymentType", {"name": "Voucher"}).status_code == 405


def test_every_demo_sale_payment_names_one_of_the_accounts_payment_types(demo_api):
    known = {t["paymentTypeID"] for t in demo_api.get("PaymentType")["PaymentType"]}
    payments = as_list(demo_api.get("Sale", load_relations='["SalePayments"]', limit=100)["Sale"])
    used = {
        p["paymentTypeID"]
        for sale in payments
        for p in as_list((sale.get("SalePayments") or {}).get("SalePayment"))
    }
    assert used and used <= known


def test_inventory_counts_are_served_read_only_to_tokens_with_the_counts_scope(demo_sandbox, demo_api):
    counts = demo_api.get("InventoryCount", archived="true")["InventoryCount"]
    assert [(c["name"], c["archived"], c["shopID"]) for c in counts] == [
        ("Spring count 2026", "true", "1"),
        ("Year-end count", "false", "1"),
    ]
    assert set(counts[0]) == {"inventoryCountID", "name", "timeStamp", "archived", "shopID"}
    assert demo_api.get("InventoryCount")["InventoryCount"]["name"] == "Year-end count"
    assert demo_api.call("PUT", "InventoryCount/1", json={"name": "x"}).status_code == 405
    register_only = demo_sandbox.mint_tokens(scope="employee:register")["access_token"]
    assert demo_api.call("GET", "InventoryCount", token=register_only).status_code == 403
