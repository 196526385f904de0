"""Real third-party Lightspeed clients, written against the real API, work with only the host changed.

`plaw` reads the account, shops and employees through the legacy V2 paths and offset paging;
`lightspeed-api` walks every page of items through V3 `next` links and creates an item (it accepts
only status 200 and parses the drip rate as an integer, as the real default `1` allows).
"""

from datetime import datetime, timedelta

import pytest

pytestmark = pytest.mark.e2e


def test_plaw_reads_account_shops_and_employees_over_legacy_paths_and_offsets(sandbox):
    from plaw import Plaw

    sandbox.seed(records={"Employee": [{"firstName": f"Clerk {n}", "lastName": "Temp"} for n in range(150)]})
    tokens = sandbox.mint_tokens(scope="employee:register")
    client = Plaw(
        "lightsync-demo",
        "lightsync-demo-secret",
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
    )
    client.BASE_URL = sandbox.api_url + "/"
    client.AUTH_URL = sandbox.oauth_url + "/oauth/access_token.php"

    assert client.fetch_account_id() == str(sandbox.account_id)
    shops = [page["Shop"] for page in client.shop()]
    assert shops[0]["name"] == "Main Shop"
    pages = list(client.employee(load_contact=True))
    assert [p["@attributes"]["offset"] for p in pages] == ["0", "100"]
    employees = [e for page in pages for e in page["Employee"]]
    assert len(employees) == 151 and len({e["employeeID"] for e in employees}) == 151
    assert "Contact" in employees[0]
    log = sandbox.requests_log()
    assert [entry["path"] for entry in log][-2:] == [f"/API/Account/{sandbox.account_id}/Employee.json"] * 2


def test_lightspeed_api_walks_every_item_page_through_next_links_and_creates_an_item(sandbox):
    from lightspeed_api.lightspeed_api import Lightspeed

    sandbox.seed(
        records={"Item": [{"description": f"Bulk {n:03d}", "customSku": f"B-{n:03d}"} for n in range(250)]}
    )
    tokens = sandbox.mint_tokens(scope="employee:register employee:inventory")
    client = Lightspeed(
        {
            "account_id": str(sandbox.account_id),
            "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret,
            "refresh_token": tokens["refresh_token"],
        }
    )
    client.api_url = f"{sandbox.api_url}/API/V3/Account/{sandbox.account_id}/"
    client.token_url = sandbox.oauth_url + "/oauth/access_token.php"
    client.bearer_token = tokens["access_token"]
    client.session.headers.update({"Authorization": "Bearer " + tokens["access_token"]})
    client.token_expire_time = datetime.now() + timedelta(hours=1)

    items = client.get("Item")
    assert len(items["Item"]) == 250
    assert len({i["itemID"] for i in items["Item"]}) == 250

    created = client.create("Item", {"description": "Made by lightspeed-api", "customSku": "LA-1"})
    assert created["Item"]["customSku"] == "LA-1"
    assert client.rate_limit_bucket_rate == 1
    paths = [entry["path"] for entry in sandbox.requests_log()]
    assert paths.count(f"/API/V3/Account/{sandbox.account_id}/Item.json") == 4  # three pages and the create
