"""The sandbox itself: deep paging stays cheap, and writes keep up with a fast drip rate.

These were timed unit tests once; timings on a shared 2-core machine are noise in a test suite, so
they live here and print their figures. Each still asserts that the work it timed happened.

1. 20,000 items paged 100 at a time: the last page's fastest answer against the first page's
   (they are timed alternately, so both see the same load; load only ever adds time).
2. `PUT Item` with one ItemShop and a cost, 40 at a time in 5 batches: requests per second of
   the best batch and of all of them.
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
import requests

ITEMS = 20000


@pytest.fixture(scope="module")
def fast_sandbox():
    from integrations.lightspeed_sandbox.testing import SandboxServer

    server = SandboxServer.start(seed="empty", drip_rate=100000, bucket_size=1000000, burst_limit=0)
    server.seed(
        records={
            "Item": [
                {
                    "description": f"Item {n}",
                    "customSku": f"P-{n}",
                    "ItemShops": {"ItemShop": {"shopID": 1, "qoh": n % 5}},
                }
                for n in range(ITEMS)
            ]
        }
    )
    yield server
    server.stop()


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _client(server) -> tuple[requests.Session, dict[str, str]]:
    token = server.mint_tokens()["access_token"]
    return requests.Session(), {"Authorization": f"Bearer {token}"}


def bench_sandbox_deep_paging(fast_sandbox):
    http, headers = _client(fast_sandbox)
    url = (
        f"{fast_sandbox.api_url}/API/V3/Account/{fast_sandbox.account_id}/Item.json?sort=timeStamp&limit=100"
    )
    urls, seen = [], 0
    while url:
        urls.append(url)
        payload = http.get(url, headers=headers, timeout=30).json()
        seen += len(payload["Item"]) if isinstance(payload.get("Item"), list) else 1
        url = payload["@attributes"]["next"]
    assert seen == ITEMS and len(urls) == ITEMS // 100

    def timed(page_url: str) -> float:
        started = time.perf_counter()
        assert http.get(page_url, headers=headers, timeout=30).status_code == 200
        return time.perf_counter() - started

    first, last = [], []
    for _ in range(15):
        first.append(timed(urls[0]))
        last.append(timed(urls[-1]))
    print(f"\nsandbox first page of {ITEMS} items (fastest of 15): {min(first) * 1000:.1f} ms")
    print(f"sandbox last page (page {len(urls)}, fastest of 15): {min(last) * 1000:.1f} ms")
    print(f"sandbox last/first page time: {min(last) / min(first):.2f} ratio")


def bench_sandbox_item_write_rate(fast_sandbox):
    http, headers = _client(fast_sandbox)
    base = f"{fast_sandbox.api_url}/API/V3/Account/{fast_sandbox.account_id}/Item"
    rates, written, started_all = [], 0, time.perf_counter()
    for batch in range(5):
        started = time.perf_counter()
        for item_id in range(1 + 40 * batch, 41 + 40 * batch):
            body = {"ItemShops": {"ItemShop": {"shopID": 1, "qoh": item_id % 7}}, "defaultCost": "2.50"}
            response = http.put(f"{base}/{item_id}.json", json=body, headers=headers, timeout=30)
            assert response.status_code == 200
            written += 1
        rates.append(40 / (time.perf_counter() - started))
    overall = written / (time.perf_counter() - started_all)
    item = http.get(
        f"{base}/200.json", headers=headers, params={"load_relations": '["ItemShops"]'}, timeout=30
    )
    item = item.json()["Item"]
    shop_1 = [row for row in _as_list(item["ItemShops"]["ItemShop"]) if row["shopID"] == "1"]
    assert Decimal(item["defaultCost"]) == Decimal("2.50") and shop_1[0]["qoh"] == str(200 % 7)
    print(f"\nsandbox PUT Item, best batch of 40: {max(rates):.0f} requests/s")
    print(f"sandbox PUT Item, all {written}: {overall:.0f} requests/s")
