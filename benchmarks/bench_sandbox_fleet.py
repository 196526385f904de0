"""The sandbox at fleet size: seeding many accounts and bulk history, and delayed answers at once.

1. 500 accounts (2 shops, 20 items, a token pair each) in one call: seconds and queries; then one
   account's 50,000-sale backfill and another's 20,000 items: seconds and rows per second.
2. 200 clients, each on its own connection, send one request at once to a sandbox answering at
   300 ms with its default 8 threads: the longest wait as a multiple of the latency (8 threads
   holding each answer would need 25 rounds), its percentiles, and the most answers waiting at once.
"""

from __future__ import annotations

import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

ACCOUNTS = 500
SALES = 50_000
ITEMS = 20_000
CLIENTS = 200
LATENCY_MS = 300


def bench_sandbox_fleet_seeding(sandbox_server_factory):
    server = sandbox_server_factory(seed="empty")

    started = time.monotonic()
    made = server.control("POST", "accounts", {"count": ACCOUNTS, "shops": 2, "items": 20})
    seeded = time.monotonic() - started
    assert made["created"] == ACCOUNTS and all("access_token" in a for a in made["accounts"])
    first, second = made["accounts"][0]["accountID"], made["accounts"][1]["accountID"]

    started = time.monotonic()
    sales = server.control("POST", f"accounts/{first}/sales", {"count": SALES, "days": 30})
    backfill = time.monotonic() - started
    assert sales["created"] == SALES

    started = time.monotonic()
    items = server.control("POST", f"accounts/{second}/items", {"count": ITEMS})
    catalogue = time.monotonic() - started
    assert items["created"] == ITEMS

    queries = made["queries"]
    print()
    print(f"fleet seeding, {ACCOUNTS} accounts with tokens: {seeded:.2f} s")
    print(
        f"fleet seeding queries: {queries['inserts']} inserts + {queries['other']} other (independent of N)"
    )
    print(
        f"backfill {SALES} sales ({sales['lines']} lines): {backfill:.2f} s, {SALES / backfill:.0f} sales/s"
    )
    print(f"bulk {ITEMS} items: {catalogue:.2f} s, {ITEMS / catalogue:.0f} items/s")


def bench_sandbox_delayed_answers_at_once(sandbox_server_factory):
    server = sandbox_server_factory(
        seed="empty", latency_ms=LATENCY_MS, threads=8, burst_limit=0, bucket_size=100000
    )
    token = server.mint_tokens()["access_token"]
    url = f"{server.api_url}/API/V3/Account/{server.account_id}/Shop.json"
    gate = threading.Barrier(CLIENTS)

    def one(_: int) -> tuple[int, float]:
        gate.wait()
        sent = time.monotonic()
        response = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=120)
        return response.status_code, time.monotonic() - sent

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        results = list(pool.map(one, range(CLIENTS)))
    elapsed = time.monotonic() - started
    assert [status for status, _ in results] == [200] * CLIENTS
    state = server.control("GET", "latency")
    waits = sorted(wait for _, wait in results)
    latency = LATENCY_MS / 1000
    p50, p95 = statistics.median(waits), waits[int(0.95 * (len(waits) - 1))]
    print()
    print(f"delayed answers: {CLIENTS} clients at once, {LATENCY_MS} ms latency, {state['threads']} threads")
    print(
        f"all answered after: {elapsed / latency:.2f} × the latency (holding a thread each: {CLIENTS // 8} ×)"
    )
    print(
        f"wait per request p50 / p95 / max: {p50 / latency:.2f} / {p95 / latency:.2f} / {waits[-1] / latency:.2f} × the latency"
    )
    print(f"answers waiting at once, peak: {state['answersPeak']}")
