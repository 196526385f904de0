"""Item matrices and attribute sets: the client's requests, asserted call by call, and the
recorded real payloads (ItemMatrix/show.yml, ItemAttributeSet/*.yml, items/index.yml) parsed."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from django.conf import settings

from integrations.lightspeed.api.client import LightspeedClient
from integrations.lightspeed.api.normalise import records_in
from integrations.lightspeed.api.records.items import item_parse
from integrations.lightspeed.api.records.matrices import (
    attribute_set_for,
    attribute_set_parse,
    attribute_slots,
    attribute_values,
    matrix_parse,
)

from .conftest import ACCOUNT_ID, resource_url
from .test_client import NoPacing, StaticTokens

RECORDED = Path(settings.BASE_DIR).parent / "shared" / "lightspeed" / "recorded" / "vcr_cassettes" / "account"
EMPTY = {"@attributes": {"next": "", "previous": ""}}


@pytest.fixture
def client(sleeps, db) -> LightspeedClient:
    return LightspeedClient(account_id=ACCOUNT_ID, tokens=StaticTokens(), sleep=sleeps, pacer=NoPacing())


def query(call) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


def recorded_body(relative: str, index: int = 0) -> dict:
    path = RECORDED / relative
    if not path.exists():
        pytest.skip("../shared (the recorded Lightspeed traffic) is not present")
    interaction = yaml.safe_load(path.read_text())["http_interactions"][index]
    return json.loads(interaction["response"]["body"]["string"])


# --- recorded payloads ----------------------------------------------------------------------
def test_the_recorded_matrix_reads_with_its_size_set_its_prices_and_its_one_item():
    (record,) = records_in(recorded_body("ItemMatrix/show.yml"), "ItemMatrix")

    matrix = matrix_parse(record)

    assert (matrix.item_matrix_id, matrix.description, matrix.item_attribute_set_id) == (1, "Test Matrix", 2)
    assert matrix.attribute_set.attribute_names == ("", "Size", "")
    assert matrix.price(1) == Decimal("1") and matrix.default_cost == Decimal("0")
    (item,) = matrix.items
    assert (item.item_id, item.item_matrix_id, item.codes.custom_sku) == (412, 1, "SKU2341(10)")
    assert record["Items"][0]["itemMatrixID"] == 1  # normalised: an int on the raw record too


def test_the_recorded_attribute_sets_are_lightspeeds_four_built_in_ones():
    sets = [
        attribute_set_parse(r)
        for r in records_in(recorded_body("ItemAttributeSet/index.yml"), "ItemAttributeSet")
    ]
    (single,) = records_in(recorded_body("ItemAttributeSet/show.yml"), "ItemAttributeSet")

    assert [(s.item_attribute_set_id, s.name, s.attribute_names) for s in sets] == [
        (1, "Color/Size", ("Color", "Size", "")),
        (2, "Size", ("", "Size", "")),
        (3, "Color", ("Color", "", "")),
        (4, "3 Attributes", ("Attribute 1", "Attribute 2", "Attribute 3")),
    ]
    assert attribute_set_parse(single).attribute_names == ("", "Size", "")


def test_recorded_items_carry_their_matrix_id_as_a_number_and_attributes_even_when_empty():
    items = []
    for index in range(3):
        items += records_in(recorded_body("items/index.yml", index), "Item")

    in_matrix = [i for i in items if i["itemMatrixID"]]
    assert len(items) == 234 and all(isinstance(i["itemMatrixID"], int) for i in items)
    assert [(i["itemID"], i["itemMatrixID"]) for i in in_matrix] == [("412", 1)]
    assert in_matrix[0]["ItemAttributes"]["itemAttributeSetID"] == 2
    assert {
        tuple(i["ItemAttributes"][s] for s in ("attribute1", "attribute2", "attribute3")) for i in items
    } == {("", "", "")}
    parsed = item_parse(in_matrix[0])
    assert (parsed.item_matrix_id, parsed.attributes, parsed.item_attribute_set_id) == (1, ("", "", ""), 2)


def test_an_item_outside_a_matrix_reads_as_matrix_0_with_empty_attributes():
    (item,) = records_in({"Item": {"itemID": "5", "ItemAttributes": ""}}, "Item")
    (in_sale,) = records_in({"Sale": {"SaleLines": {"SaleLine": {"Item": {"itemID": "6"}}}}}, "Sale")

    assert item["itemMatrixID"] == 0
    assert item["ItemAttributes"] == {
        "attribute1": "",
        "attribute2": "",
        "attribute3": "",
        "itemAttributeSetID": 0,
    }
    assert in_sale["SaleLines"][0]["Item"]["itemMatrixID"] == 0


# --- attribute sets and slots -------------------------------------------------------------
@pytest.mark.parametrize(
    ("names", "set_id"),
    [
        (("Color", "Size"), 1),
        (("Size",), 2),
        (("Size", ""), 2),
        (("color",), 3),
        (("Size", "Color"), 4),
        (("Fabric",), 4),
        (("Color", "Size", "Fit"), 4),
    ],
)
def test_a_styles_attribute_names_choose_lightspeeds_attribute_set(names, set_id):
    assert attribute_set_for(names) == set_id


def test_values_go_in_the_sets_slots_size_alone_in_the_second_and_back_again():
    assert attribute_slots(1, ("Navy", "M")) == ("Navy", "M", "")
    assert attribute_slots(2, ("M",)) == ("", "M", "")
    assert attribute_slots(3, ("Navy",)) == ("Navy", "", "")
    assert attribute_slots(4, ("M", "Navy")) == ("M", "Navy", "")
    assert attribute_values(2, ("", "M", ""), 1) == ("M",)
    assert attribute_values(1, ("Navy", "M", ""), 2) == ("Navy", "M")


# --- requests ---------------------------------------------------------------------------------
def test_matrices_are_listed_with_their_attribute_set_and_items_and_by_id_in_batches(
    client, mocked_lightspeed
):
    mocked_lightspeed.get(
        resource_url("ItemMatrix"),
        json={
            **EMPTY,
            "ItemMatrix": {"itemMatrixID": "7", "Items": {"Item": {"itemID": "9", "itemMatrixID": "7"}}},
        },
    )
    for _ in range(2):
        mocked_lightspeed.get(resource_url("ItemMatrix"), json=EMPTY)

    matrices = list(client.iter_item_matrices(with_items=True, include_archived=True))
    list(client.iter_item_matrices(ids=range(1, 151)))

    listed, *by_id = (query(call) for call in mocked_lightspeed.calls)
    assert json.loads(listed["load_relations"][0]) == ["ItemAttributeSet", "Items"]
    assert listed["archived"] == ["true"] and listed["sort"] == ["timeStamp"]
    assert [len(json.loads(q["itemMatrixID"][0].removeprefix("IN,"))) for q in by_id] == [100, 50]
    assert json.loads(by_id[0]["load_relations"][0]) == ["ItemAttributeSet"]
    assert matrices[0]["Items"] == [
        {
            "itemID": "9",
            "itemMatrixID": 7,
            "ItemAttributes": {
                **dict.fromkeys(("attribute1", "attribute2", "attribute3"), ""),
                "itemAttributeSetID": 0,
            },
        }
    ]


def test_one_matrix_is_read_with_its_items(client, mocked_lightspeed):
    mocked_lightspeed.get(
        resource_url("ItemMatrix", 7), json={"ItemMatrix": {"itemMatrixID": "7", "Items": ""}}
    )

    matrix = client.get_item_matrix(7)

    assert matrix["Items"] == []
    assert json.loads(query(mocked_lightspeed.calls[0])["load_relations"][0]) == ["ItemAttributeSet", "Items"]


def test_a_matrix_is_created_with_its_set_price_and_cost_in_one_post(client, mocked_lightspeed):
    mocked_lightspeed.post(
        resource_url("ItemMatrix"), json={"ItemMatrix": {"itemMatrixID": "12", "itemAttributeSetID": "1"}}
    )

    matrix = client.create_item_matrix(
        description="Tarn Rain Shell",
        item_attribute_set_id=1,
        default_cost=Decimal("41.00"),
        prices={1: Decimal("129.00")},
    )

    assert matrix["itemMatrixID"] == "12" and len(mocked_lightspeed.calls) == 1
    assert json.loads(mocked_lightspeed.calls[0].request.body) == {
        "description": "Tarn Rain Shell",
        "itemAttributeSetID": "1",
        "defaultCost": "41.00",
        "Prices": {"ItemPrice": [{"useTypeID": "1", "amount": "129.00"}]},
    }


def test_a_matrix_update_sends_only_what_changed(client, mocked_lightspeed):
    mocked_lightspeed.put(resource_url("ItemMatrix", 12), json={"ItemMatrix": {"itemMatrixID": "12"}})

    client.update_item_matrix(12, description="Tarn Shell ", prices={1: Decimal("99")})

    assert json.loads(mocked_lightspeed.calls[0].request.body) == {
        "description": "Tarn Shell",
        "Prices": {"ItemPrice": [{"useTypeID": "1", "amount": "99"}]},
    }
    with pytest.raises(ValueError):
        client.update_item_matrix(12)


def test_an_item_made_in_a_matrix_carries_the_matrix_id_and_its_attributes(client, mocked_lightspeed):
    mocked_lightspeed.post(resource_url("Item"), json={"Item": {"itemID": "90", "itemMatrixID": "12"}})

    item = client.create_item(
        {"description": "Tarn Rain Shell Navy M", "customSku": "TARN-NVY-M"},
        item_matrix_id=12,
        attributes=("Navy", "M", ""),
        item_attribute_set_id=1,
    )

    assert item["itemMatrixID"] == 12
    assert json.loads(mocked_lightspeed.calls[0].request.body) == {
        "description": "Tarn Rain Shell Navy M",
        "customSku": "TARN-NVY-M",
        "itemMatrixID": "12",
        "ItemAttributes": {
            "attribute1": "Navy",
            "attribute2": "M",
            "attribute3": "",
            "itemAttributeSetID": "1",
        },
    }
    with pytest.raises(ValueError):
        client.create_item({"description": "x"}, item_matrix_id=12, attributes=("", "", ""))


def test_attribute_sets_are_listed_in_id_order_and_items_can_load_their_attributes(client, mocked_lightspeed):
    mocked_lightspeed.get(resource_url("ItemAttributeSet"), json=recorded_body("ItemAttributeSet/index.yml"))
    mocked_lightspeed.get(resource_url("Item"), json=EMPTY)

    sets = list(client.iter_item_attribute_sets())
    list(client.iter_items(with_attributes=True))

    assert len(sets) == 4 and query(mocked_lightspeed.calls[0])["sort"] == ["itemAttributeSetID"]
    assert json.loads(query(mocked_lightspeed.calls[1])["load_relations"][0]) == [
        "ItemShops",
        "ItemAttributes",
    ]
