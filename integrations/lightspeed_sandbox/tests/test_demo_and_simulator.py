"""The demo dataset matches the shared catalogue; the POS simulator rings up sales."""

import time

import pytest

from integrations.core import demo_catalogue as catalogue
from integrations.lightspeed_sandbox.tests.conftest import Api, as_list

pytestmark = pytest.mark.e2e
ALL_SALE_RELATIONS = '["SaleLines","SalePayments","Customer","Customer.Contact"]'


def _all(api, resource, **params):
    import requests

    payload = api.get(resource, **params)
    rows = as_list(payload.get(resource))
    while payload["@attributes"]["next"]:
        payload = requests.get(
            payload["@attributes"]["next"], headers={"Authorization": f"Bearer {api.token}"}, timeout=30
        ).json()
        rows += as_list(payload.get(resource))
    return rows


def test_demo_account_shops_registers_and_employees_come_from_the_catalogue(demo_sandbox, demo_api):
    import requests

    account = requests.get(
        f"{demo_sandbox.api_url}/API/V3/Account.json",
        timeout=10,
        headers={"Authorization": f"Bearer {demo_api.token}"},
    ).json()["Account"]
    assert (account["accountID"], account["name"]) == ("100001", catalogue.DEMO_ACCOUNT_NAME)
    shops = as_list(demo_api.get("Shop", load_relations='["Registers"]')["Shop"])
    assert [(s["shopID"], s["name"]) for s in shops] == [
        (str(s.shop_id), s.name) for s in catalogue.DEMO_SHOPS
    ]
    registers = {s["name"]: [r["name"] for r in as_list(s["Registers"]["Register"])] for s in shops}
    assert registers == {s.name: list(s.registers) for s in catalogue.DEMO_SHOPS}
    employees = as_list(demo_api.get("Employee")["Employee"])
    assert [e["firstName"] for e in employees] == [e.first_name for e in catalogue.DEMO_EMPLOYEES]
    assert demo_sandbox.account_id == catalogue.DEMO_ACCOUNT_ID


def test_demo_items_share_skus_and_upcs_with_the_catalogue_including_the_conflicts(demo_api):
    items = _all(demo_api, "Item", load_relations='["ItemShops"]')
    expected = catalogue.demo_lightspeed_items()
    assert len(items) == len(expected)
    by_id = {int(i["itemID"]): i for i in items}
    for demo_item in expected[:25]:
        item = by_id[demo_item.item_id]
        assert (item["customSku"], item["upc"]) == (demo_item.custom_sku, demo_item.upc)
    upcs = [i["upc"] for i in items]
    assert any(upcs.count(u) == 2 for u in upcs), "the duplicated UPC"
    assert any(i["customSku"] == "" for i in items), "the item without a SKU"
    product_skus = {p.sku for p in catalogue.demo_products()}
    assert sum(i["customSku"] in product_skus for i in items) > 0.9 * len(items)


def test_demo_customers_with_and_without_addresses(demo_api):
    customers = as_list(demo_api.get("Customer", load_relations='["Contact"]')["Customer"])
    assert len(customers) == len(catalogue.demo_customers())
    addresses = [c["Contact"]["Addresses"] for c in customers]
    assert "" in addresses and any(isinstance(a, dict) for a in addresses)


def test_demo_history_has_refunds_an_exchange_a_void_a_layaway_misc_and_fee_lines(demo_api):
    sales = _all(demo_api, "Sale", load_relations=ALL_SALE_RELATIONS)
    lines = [line for s in sales for line in as_list((s.get("SaleLines") or {}).get("SaleLine"))]
    completed = [s for s in sales if s["completed"] == "true"]
    assert len(completed) > 60
    assert any(s["voided"] == "true" for s in sales)
    assert any(float(s["total"]) < 0 for s in completed), "a refund"
    assert any(
        {int(line["unitQuantity"]) > 0 for line in as_list(s["SaleLines"]["SaleLine"])} == {True, False}
        for s in completed
    ), "an exchange"
    assert any(line["isLayaway"] == "true" for line in lines)
    assert any(line["itemID"] == "0" and line.get("lineType") != "item_fee" for line in lines), "a misc line"
    assert any(line.get("lineType") == "item_fee" for line in lines)
    assert any(line["parentSaleLineID"] != "0" for line in lines)
    assert any("Customer" in s for s in sales)
    void = demo_api.get("SaleVoid")["SaleVoid"]
    assert any(s["saleID"] == void["saleID"] and s["voided"] == "true" for s in sales)


def test_the_demo_dataset_is_the_same_on_every_seed(demo_sandbox, demo_api):
    def fingerprint(api):
        sales = _all(api, "Sale", load_relations='["SaleLines"]')
        return [
            (s["saleID"], s["total"], [line["itemID"] for line in as_list(s["SaleLines"]["SaleLine"])])
            for s in sales
        ]

    first = fingerprint(demo_api)
    demo_sandbox.reset(seed="demo")
    again = Api(demo_sandbox, demo_sandbox.mint_tokens()["access_token"])
    assert fingerprint(again) == first


def test_the_simulator_rings_up_completed_sales_that_lower_stock(sandbox_server_factory):
    server = sandbox_server_factory(seed="demo", simulate_sales=240)  # one every 0.25 s
    api = Api(server, server.mint_tokens()["access_token"])

    def stock():
        return {
            (item["itemID"], row["shopID"]): int(row["qoh"])
            for item in _all(api, "Item", load_relations='["ItemShops"]')
            for row in as_list(item["ItemShops"]["ItemShop"])
        }

    def sales_after(sale_id, **params):
        return _all(api, "Sale", saleID=f">,{sale_id}", sort="saleID", **params)

    # A still shop for the snapshot: the pause waits for the sale being rung up to be paid.
    assert server.control("POST", "simulator", {"paused": True})["paused"] is True
    qoh_before = stock()
    after = int(api.get("Sale", sort="-saleID", limit=1)["Sale"]["saleID"])
    server.control("POST", "simulator", {"paused": False})
    deadline = time.monotonic() + 60
    while len(sales_after(after, completed="true")) < 3 and time.monotonic() < deadline:
        time.sleep(0.5)
    server.control("POST", "simulator", {"paused": True})

    rung_up = sales_after(after, load_relations='["SaleLines","SalePayments"]')
    completed = [s for s in rung_up if s["completed"] == "true"]
    assert len(completed) >= 3, "the simulator rang up fewer than 3 completed sales in 60 s"
    assert all("SalePayments" in s for s in completed)
    sold = [
        (line["itemID"], s["shopID"], int(line["unitQuantity"]))
        for s in completed
        for line in as_list(s["SaleLines"]["SaleLine"])
    ]
    assert any(quantity > 0 for _, _, quantity in sold)
    # Every unit the completed sales took (a refund's negative lines give back) and nothing else,
    # in the sale's shop and in the shop 0 total.
    expected = dict(qoh_before)
    for item_id, shop_id, quantity in sold:
        expected[(item_id, shop_id)] -= quantity
        expected[(item_id, "0")] -= quantity
    assert stock() == expected


def test_the_simulator_never_sells_more_than_a_shop_has(sandbox_server_factory):
    # One sale every 0.1 s; a roomy bucket, since this test polls until the shelf is empty.
    server = sandbox_server_factory(seed="empty", simulate_sales=600, drip_rate=1000, bucket_size=100000)
    api = Api(server, server.mint_tokens()["access_token"])
    server.control("POST", "simulator", {"paused": True})
    server.seed(
        records={
            "Item": [
                {"description": f"Last one {n}", "ItemShops": {"ItemShop": {"shopID": 1, "qoh": 1}}}
                for n in range(10)
            ]
        }
    )
    server.control("POST", "simulator", {"paused": False})

    def shelf() -> list[int]:
        items = _all(api, "Item", load_relations='["ItemShops"]')
        return [
            int(r["qoh"]) for i in items for r in as_list(i["ItemShops"]["ItemShop"]) if r["shopID"] == "1"
        ]

    deadline = time.monotonic() + 60
    while any(qoh > 0 for qoh in shelf()) and time.monotonic() < deadline:
        time.sleep(0.5)
    server.control("POST", "simulator", {"paused": True})

    assert shelf() == [0] * 10  # sold out, and never below zero
    lines = [
        line
        for s in _all(api, "Sale", load_relations='["SaleLines"]')
        for line in as_list(s["SaleLines"]["SaleLine"])
    ]
    assert lines and all(line["unitQuantity"] == "1" for line in lines)
