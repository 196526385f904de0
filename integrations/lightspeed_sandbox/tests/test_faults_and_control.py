"""Injected faults of every kind, and the control API's log, stats, seed and reset."""

import json

import pytest
import requests

from integrations.lightspeed_sandbox.tests.conftest import item_body

pytestmark = pytest.mark.e2e


def test_a_status_fault_answers_for_the_next_n_matching_requests_only(sandbox, api):
    sandbox.add_fault(method="GET", path=r"/Item\.json$", kind="status", status=503, count=2)
    assert [api.call("GET", "Item").status_code for _ in range(3)] == [503, 503, 200]
    assert api.call("GET", "Shop").status_code == 200


def test_a_status_fault_can_carry_a_body_headers_and_an_html_content_type(sandbox, api):
    sandbox.add_fault(
        path="Shop",
        kind="status",
        status=429,
        body="<html>slow down</html>",
        content_type="text/html",
        headers={"Retry-After": "Thu, 01 Jan 2099 00:00:00 GMT"},
        count=1,
    )
    response = api.call("GET", "Shop")
    assert response.status_code == 429
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.headers["Retry-After"].endswith("GMT")


def test_a_fault_after_the_work_answers_an_error_although_the_write_happened(sandbox, api):
    sandbox.add_fault(method="POST", path="Item", kind="status", status=502, after=True, count=1)
    assert api.post("Item", item_body("Written anyway")).status_code == 502
    assert api.get("Item")["Item"]["description"] == "Written anyway"


def test_a_delay_fault_slows_the_answer(sandbox, api):
    sandbox.add_fault(path="Shop", kind="delay", delay=0.6, count=1)
    response = api.call("GET", "Shop")
    assert response.status_code == 200 and response.elapsed.total_seconds() >= 0.6


def test_a_drop_fault_closes_the_connection_without_an_answer(sandbox, api):
    sandbox.add_fault(path="Shop", kind="drop", count=1)
    with pytest.raises(requests.ConnectionError):
        requests.get(api.url("Shop"), headers={"Authorization": f"Bearer {api.token}"}, timeout=10)
    assert api.call("GET", "Shop").status_code == 200


def test_a_malformed_fault_answers_200_with_broken_json(sandbox, api):
    sandbox.add_fault(path="Shop", kind="malformed", count=1)
    response = api.call("GET", "Shop")
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)


def test_a_truncated_fault_cuts_the_real_body_short(sandbox, api):
    sandbox.add_fault(path="Shop", kind="truncated", count=1)
    response = api.call("GET", "Shop")
    assert response.status_code == 200 and response.text.startswith('{"@attributes"')
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)


def test_a_fault_with_a_probability_hits_some_requests(sandbox, api):
    sandbox.add_fault(path="Shop", kind="status", status=500, probability=0.5)
    statuses = [api.call("GET", "Shop").status_code for _ in range(40)]
    assert 5 < statuses.count(500) < 35


def test_delete_faults_disarms_them(sandbox, api):
    sandbox.add_fault(path="Shop", kind="status", status=500)
    assert api.call("GET", "Shop").status_code == 500
    sandbox.clear_faults()
    assert api.call("GET", "Shop").status_code == 200


def test_the_request_log_records_each_api_request_with_cost_and_level(sandbox, api):
    api.call("GET", "Shop", params={"load_relations": '["Registers"]'})
    api.call("GET", "Employee/404")
    log = sandbox.requests_log()
    shop, missing = log[-2], log[-1]
    assert (
        shop["method"] == "GET" and shop["path"].endswith("/Shop.json") and "load_relations" in shop["query"]
    )
    assert shop["status"] == 200 and shop["cost"] == pytest.approx(1.4) and shop["level"] > 0
    assert missing["status"] == 404
    assert sandbox.requests_log(since=shop["id"]) == [missing]


def test_the_request_log_keeps_what_an_api_write_sent_but_never_a_token_requests_secrets(sandbox, api):
    created = api.post("Item", item_body("Logged")).json()["Item"]
    api.put(f"Item/{created['itemID']}", {"ItemShops": {"ItemShop": [{"shopID": "1", "qoh": "7"}]}})
    sandbox.mint_tokens()
    requests.post(
        f"{sandbox.oauth_url}/auth/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": "r", "client_id": "c", "client_secret": "s"},
        timeout=30,
    )

    post, put, token = sandbox.requests_log()[-3:]
    assert json.loads(post["body"])["description"] == "Logged"
    assert json.loads(put["body"]) == {"ItemShops": {"ItemShop": [{"shopID": "1", "qoh": "7"}]}}
    assert token["path"] == "/auth/oauth/token" and token["body"] == ""
    assert all(r["body"] == "" for r in sandbox.requests_log() if r["method"] == "GET")


def test_stats_count_requests_statuses_and_records(sandbox, api):
    api.call("GET", "Shop")
    stats = sandbox.stats()
    assert stats["requests"] >= 1 and stats["byStatus"]["200"] >= 1
    assert stats["records"]["shops"] == 1 and stats["config"]["bucketSize"] == 90


def test_seed_accepts_a_document_of_records_with_explicit_ids(sandbox, api):
    sandbox.seed(
        records={
            "Item": [
                {
                    "itemID": 500,
                    "description": "Seeded",
                    "customSku": "S-1",
                    "ItemShops": {"ItemShop": {"shopID": 1, "qoh": 4}},
                }
            ],
            "Customer": [{"customerID": 40, "firstName": "Zoe", "lastName": "Ng"}],
            "Sale": [
                {
                    "shopID": 1,
                    "registerID": 1,
                    "employeeID": 1,
                    "completed": True,
                    "completeTime": "2026-01-02T03:04:05+00:00",
                    "SaleLines": {"SaleLine": {"itemID": 500, "unitQuantity": 1, "unitPrice": "5"}},
                    "SalePayments": {"SalePayment": {"paymentTypeID": 1, "amount": "10"}},
                }
            ],
        }
    )
    assert api.get("Item/500")["Item"]["customSku"] == "S-1"
    sale = api.get("Sale")["Sale"]
    assert sale["completeTime"] == "2026-01-02T03:04:05+00:00"
    assert api.get("Customer/40")["Customer"]["firstName"] == "Zoe"


def test_seeded_sales_can_be_voided_or_refunded_on_the_way_in(sandbox, api):
    def sale(**extra):
        return {
            "shopID": 1,
            "registerID": 1,
            "employeeID": 1,
            "completed": True,
            "SaleLines": {"SaleLine": {"itemID": 7, "unitQuantity": 2}},
            "SalePayments": {"SalePayment": {"paymentTypeID": 1, "amount": "100"}},
            **extra,
        }

    item = {"itemID": 7, "description": "Seeded", "ItemShops": {"ItemShop": {"shopID": 1, "qoh": 10}}}
    sandbox.seed(records={"Item": [item]})
    sandbox.seed(records={"Sale": [sale(void=True), sale(refund=True)]})
    sales = api.get("Sale", sort="saleID", load_relations='["SaleLines"]')["Sale"]
    assert [(s["voided"], s["completed"]) for s in sales] == [
        ("true", "false"),  # the voided one
        ("false", "true"),  # the refunded one
        ("false", "true"),  # its refund
    ]
    assert sales[2]["SaleLines"]["SaleLine"]["unitQuantity"] == "-2"
    assert api.get("SaleVoid")["SaleVoid"]["saleID"] == sales[0]["saleID"]
    shop_row = api.get("Item/7", load_relations='["ItemShops"]')["Item"]["ItemShops"]["ItemShop"]
    assert {r["shopID"]: r["qoh"] for r in shop_row}["1"] == "10"  # voided, sold and refunded: all back


def test_reset_wipes_records_tokens_and_clock(sandbox, api):
    api.post("Item", item_body("Temporary"))
    sandbox.advance_clock(1000)
    sandbox.reset()
    assert sandbox.stats()["clockOffset"] == 0
    assert api.call("GET", "Item").status_code == 401  # tokens went with the reset


def test_a_frozen_clock_stands_still_until_advanced_and_catches_up_when_thawed(sandbox):
    frozen = sandbox.freeze_clock()
    assert frozen["frozen"] is True
    assert sandbox.control("GET", "clock")["epoch"] == frozen["epoch"]
    advanced = sandbox.advance_clock(10)
    assert advanced["epoch"] == pytest.approx(frozen["epoch"] + 10, abs=1e-6)
    assert sandbox.control("GET", "clock")["epoch"] == advanced["epoch"]
    thawed = sandbox.freeze_clock(False)
    assert thawed["frozen"] is False and thawed["epoch"] > advanced["epoch"]
    sandbox.freeze_clock()
    sandbox.reset()
    assert sandbox.control("GET", "clock")["frozen"] is False


def test_pausing_a_simulator_that_does_not_run_is_a_conflict(sandbox):
    from integrations.lightspeed_sandbox.testing import SandboxServerError

    assert sandbox.control("GET", "simulator") == {"running": False, "paused": False, "rungUp": 0}
    with pytest.raises(SandboxServerError, match="409"):
        sandbox.control("POST", "simulator", {"paused": True})


def test_a_drop_after_the_work_loses_the_answer_but_not_the_write(sandbox, api):
    sandbox.add_fault(method="POST", path="Item", kind="drop", after=True, count=1)
    with pytest.raises(requests.ConnectionError):
        requests.post(
            api.url("Item"),
            json=item_body("Lost answer"),
            headers={"Authorization": f"Bearer {api.token}"},
            timeout=10,
        )
    assert api.get("Item")["Item"]["description"] == "Lost answer"


def test_a_fault_can_be_narrowed_to_a_query(sandbox, api):
    sandbox.add_fault(path="Item", query="after=", kind="status", status=500)
    for n in range(3):
        api.post("Item", item_body(f"Paged {n}"))
    first = api.call("GET", "Item", params={"limit": 1})
    assert first.status_code == 200
    second = requests.get(
        first.json()["@attributes"]["next"], headers={"Authorization": f"Bearer {api.token}"}, timeout=10
    )
    assert second.status_code == 500


def test_an_api_client_needs_an_https_redirect_uri_unless_local(sandbox):
    from integrations.lightspeed_sandbox.testing import SandboxServerError

    with pytest.raises(SandboxServerError, match="400"):
        sandbox.seed(
            records={"ApiClient": [{"clientID": "c", "secret": "s", "redirectUri": "http://shop.example/cb"}]}
        )
    with pytest.raises(SandboxServerError, match="400"):
        sandbox.seed(
            records={
                "ApiClient": [{"clientID": "c", "secret": "s", "redirectUri": "https://shop.example/cb#x"}]
            }
        )
    sandbox.seed(
        records={"ApiClient": [{"clientID": "c", "secret": "s", "redirectUri": "http://localhost:9000/cb"}]}
    )


def test_fast_seeding_gives_the_same_sales_and_stock_as_the_api_path(sandbox, api):
    items = [
        {
            "itemID": n,
            "description": f"Fast {n}",
            "ItemShops": {"ItemShop": {"shopID": 1, "qoh": 50}},
            "Prices": {"ItemPrice": {"useTypeID": 1, "amount": f"{n}.25"}},
        }
        for n in (1, 2, 3)
    ]
    sales = [
        {
            "shopID": 1,
            "registerID": 1,
            "employeeID": 1,
            "completed": True,
            "completeTime": f"2026-01-0{n}T10:00:00+00:00",
            "SaleLines": {
                "SaleLine": [{"itemID": 1 + n % 3, "unitQuantity": n}, {"itemID": 0, "unitPrice": "2.50"}]
            },
            "SalePayments": {"SalePayment": {"paymentTypeID": 1, "amount": "500"}},
        }
        for n in range(1, 6)
    ]

    def snapshot(fast):
        sandbox.reset()
        sandbox.seed(records={"Item": items})
        sandbox.seed(records={"Sale": sales, "fast": fast})
        token = sandbox.mint_tokens()["access_token"]
        from integrations.lightspeed_sandbox.tests.conftest import Api

        client = Api(sandbox, token)
        sold = client.get("Sale", load_relations='["SaleLines","SalePayments"]')["Sale"]
        stock = client.get("ItemShop", sort="itemShopID")["ItemShop"]
        return sold, [(row["itemID"], row["shopID"], row["qoh"]) for row in stock]

    assert snapshot(fast=True) == snapshot(fast=False)
