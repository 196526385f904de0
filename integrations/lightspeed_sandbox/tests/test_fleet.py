"""Many accounts at once: a fleet of merchants, each a Lightspeed account of its own, and bulk
history for one of them — over real HTTP."""

from __future__ import annotations

import pytest
import requests

from integrations.lightspeed_sandbox.server import argv_for, build_parser
from integrations.lightspeed_sandbox.tests.conftest import as_list

pytestmark = pytest.mark.e2e


def _get(server, account: dict, resource: str, token: str | None = None, **params) -> requests.Response:
    url = f"{server.api_url}/API/V3/Account/{account['accountID']}/{resource}.json"
    headers = {"Authorization": f"Bearer {token or account['access_token']}"}
    return requests.get(url, params=params, headers=headers, timeout=30)


def test_each_new_account_has_its_own_shops_stock_client_tokens_and_bucket(sandbox):
    made = sandbox.add_accounts(3, shops=2, registers_per_shop=2, clerks_per_shop=1, items=5, qoh=7)

    assert [a["accountID"] for a in made] == [200001, 200002, 200003]
    assert [a["clientID"] for a in made] == ["fleet-200001", "fleet-200002", "fleet-200003"]
    first, second = made[0], made[1]
    shops = as_list(_get(sandbox, first, "Shop", load_relations='["Registers"]').json()["Shop"])
    assert [int(s["shopID"]) for s in shops] == first["shopIDs"]
    assert [len(as_list(s["Registers"]["Register"])) for s in shops] == [2, 2]
    employees = as_list(_get(sandbox, first, "Employee").json()["Employee"])
    assert [e["firstName"] for e in employees] == ["Owner", "Clerk 1-1", "Clerk 2-1"]
    items = _get(sandbox, first, "Item", load_relations='["ItemShops"]')
    rows = as_list(items.json()["Item"])
    assert len(rows) == 5
    assert {(s["shopID"], s["qoh"]) for i in rows for s in as_list(i["ItemShops"]["ItemShop"])} == {
        ("0", "14"),
        *((str(shop), "7") for shop in first["shopIDs"]),
    }
    # Four registers: 90 + 3 × 10 drips and 1 + 3 × 0.5 a second, as at Lightspeed.
    assert items.headers["X-LS-API-Bucket-Level"].endswith("/120")
    assert items.headers["X-LS-API-Drip-Rate"] == "2.5"
    # A token opens its own account only, and each account's bucket fills alone.
    assert _get(sandbox, second, "Item", token=first["access_token"]).status_code == 401
    assert _get(sandbox, second, "Shop").status_code == 200
    buckets = {b["accountID"]: b["clientID"] for b in sandbox.stats()["buckets"]}
    assert buckets == {200001: "fleet-200001", 200002: "fleet-200002"}


def test_a_fleet_account_can_refresh_with_its_own_client_or_connect_through_a_shared_one(sandbox):
    (own,) = sandbox.add_accounts(1, items=0)
    refreshed = requests.post(
        f"{sandbox.oauth_url}/auth/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": own["refresh_token"],
            "client_id": own["clientID"],
            "client_secret": own["clientSecret"],
        },
        timeout=30,
    )
    assert refreshed.status_code == 200, refreshed.text
    assert _get(sandbox, own, "Shop", token=refreshed.json()["access_token"]).status_code == 200

    shared = sandbox.add_accounts(2, items=0, client_id=sandbox.client_id)
    assert [a["accountID"] for a in shared] == [200002, 200003]
    assert {(a["clientID"], a["clientSecret"]) for a in shared} == {
        (sandbox.client_id, sandbox.client_secret)
    }
    assert all(_get(sandbox, a, "Shop").status_code == 200 for a in shared)


def test_accounts_without_tokens_get_them_later_and_the_list_is_paged(sandbox):
    made = sandbox.add_accounts(4, tokens=False, items=1)
    assert all("access_token" not in a for a in made)

    minted = sandbox.account_tokens(accounts=[200002, 200004])
    assert [(t["accountID"], t["clientID"]) for t in minted] == [
        (200002, "fleet-200002"),
        (200004, "fleet-200004"),
    ]
    assert all(_get(sandbox, t, "Item").status_code == 200 for t in minted)
    assert len(sandbox.account_tokens()) == 4  # "fleet": every account from 200001

    page = sandbox.control("GET", "accounts?offset=1&limit=2")
    assert (page["total"], page["next"]) == (5, 3)  # the seeded account 100001 and the four
    assert [(a["accountID"], a["shops"], a["registers"], a["items"]) for a in page["accounts"]] == [
        (200001, 2, 2, 1),
        (200002, 2, 2, 1),
    ]
    assert sandbox.control("GET", "accounts?offset=3&limit=2")["next"] is None


def test_seeding_fifty_accounts_runs_the_same_queries_as_five_bar_insert_batches(sandbox):
    five = sandbox.control("POST", "accounts", {"count": 5})["queries"]
    fifty = sandbox.control("POST", "accounts", {"count": 50})["queries"]

    assert fifty["other"] == five["other"]
    # 50 accounts × (2 shops, 2 registers, 3 employees, 20 items, 60 prices, 60 stock rows, …):
    # thousands of rows, in batches of hundreds.
    assert five["inserts"] < fifty["inserts"] < 200


def test_bad_fleet_requests_are_refused(sandbox):
    for body in ({"count": 0}, {"count": "many"}, {"count": 2, "shops": 0}, {"count": 1, "scope": "nope"}):
        with pytest.raises(Exception, match="400"):
            sandbox.control("POST", "accounts", body)
    with pytest.raises(Exception, match="400"):
        sandbox.account_tokens(accounts=[999])
    with pytest.raises(Exception, match="404"):
        sandbox.control("POST", "accounts/999/sales", {"count": 1})


def test_a_backfill_of_completed_sales_is_spread_over_the_days_and_moves_stock(sandbox):
    (account,) = sandbox.add_accounts(1, shops=2, items=4, qoh=1000)
    result = sandbox.control("POST", f"accounts/{account['accountID']}/sales", {"count": 300, "days": 10})
    assert result["created"] == 300

    count = _get(sandbox, account, "Sale", count=1).json()["@attributes"]["count"]
    assert count == "300"
    sales = as_list(
        _get(
            sandbox, account, "Sale", limit=100, sort="saleID", load_relations='["SaleLines","SalePayments"]'
        ).json()["Sale"]
    )
    assert all(s["completed"] == "true" for s in sales)
    assert all(s["total"] == as_list(s["SalePayments"]["SalePayment"])[0]["amount"] for s in sales)
    times = [s["completeTime"] for s in sales]
    assert times == sorted(times) and len(set(times)) > 90
    assert result["from"] < result["to"]
    stock = as_list(_get(sandbox, account, "ItemShop", limit=100).json()["ItemShop"])
    sold = sum(int(line["unitQuantity"]) for line in _all_lines(sandbox, account))
    assert sold >= 300
    assert sum(1000 - int(row["qoh"]) for row in stock if row["shopID"] != "0") == sold
    assert sum(2000 - int(row["qoh"]) for row in stock if row["shopID"] == "0") == sold


def _all_lines(server, account: dict) -> list[dict]:
    page = _get(server, account, "SaleLine", limit=100).json()
    lines = as_list(page.get("SaleLine"))
    while page["@attributes"]["next"]:
        headers = {"Authorization": f"Bearer {account['access_token']}"}
        page = requests.get(page["@attributes"]["next"], headers=headers, timeout=30).json()
        lines += as_list(page.get("SaleLine"))
    return lines


def test_bulk_items_get_a_row_of_stock_in_every_shop(sandbox):
    (account,) = sandbox.add_accounts(1, shops=3, items=2)
    result = sandbox.control("POST", f"accounts/{account['accountID']}/items", {"count": 250, "qoh": 4})
    assert result["created"] == 250

    assert _get(sandbox, account, "Item", count=1).json()["@attributes"]["count"] == "252"
    last = _get(sandbox, account, f"Item/{result['lastItemID']}", load_relations='["ItemShops"]').json()[
        "Item"
    ]
    assert sorted((s["shopID"], s["qoh"]) for s in as_list(last["ItemShops"]["ItemShop"])) == sorted(
        [("0", "12"), *((str(shop), "4") for shop in account["shopIDs"])]
    )


def test_the_server_option_starts_with_fleet_accounts(sandbox_server_factory):
    options = vars(build_parser().parse_args(["--accounts", "3"]))
    assert argv_for(options)[-2:] == ["--accounts", "3"]

    server = sandbox_server_factory(accounts=3)
    page = server.control("GET", "accounts")
    assert [a["accountID"] for a in page["accounts"]] == [100001, 200001, 200002, 200003]
    tokens = server.account_tokens()
    assert [_get(server, t, "Item").status_code for t in tokens] == [200, 200, 200]
