"""The leaky bucket, the burst limiter, the cost model and the headers."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from integrations.lightspeed_sandbox.tests.conftest import Api, item_body

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def small_bucket():
    from integrations.lightspeed_sandbox.testing import SandboxServer

    server = SandboxServer.start(seed="empty", bucket_size=10, drip_rate=1, burst_limit=0)
    yield server
    server.stop()


@pytest.fixture
def limited(small_bucket):
    small_bucket.reset(seed="empty")
    # The clock stands still: levels move only by requests and by advance_clock, whatever the
    # machine's speed (a slow run would otherwise drain the bucket between requests).
    small_bucket.freeze_clock()
    return Api(small_bucket, small_bucket.mint_tokens()["access_token"])


def _level(response):
    level, size = response.headers["X-LS-API-Bucket-Level"].split("/")
    return float(level), float(size)


def test_every_api_response_carries_the_rate_limit_and_account_headers(api, sandbox):
    response = api.call("GET", "Shop")
    headers = {name.lower(): value for name, value in response.headers.items()}
    assert headers["x-ls-api-bucket-level"] == "1/90"
    assert headers["x-ls-api-drip-rate"] == "1"
    assert headers["x-ls-api-burst-level"] == "1/20"
    assert headers["x-ls-api-request-cost"] == "1"
    assert headers["x-ls-acct-id"] == str(sandbox.account_id)
    assert headers["x-ls-oauth-client-id"] == sandbox.client_id
    error = api.call("GET", "Employee/404")
    assert error.status_code == 404 and "X-LS-API-Bucket-Level" in error.headers


def test_levels_and_costs_are_fractional_when_relations_are_loaded(api, sandbox):
    sandbox.freeze_clock()
    response = api.call("GET", "Shop", params={"load_relations": '["Registers","Contact"]'})
    # A query doubles relation costs: 1 + 2 × (0.2 to-many + 0.1 to-one).
    assert response.headers["X-LS-API-Request-Cost"] == "1.6"
    single = api.call("GET", "Shop/1", params={"load_relations": '["Registers"]'})
    assert single.headers["X-LS-API-Request-Cost"] == "1.2"
    assert single.headers["X-LS-API-Bucket-Level"] == "2.8/90"


def test_relations_under_a_to_many_relation_and_or_clauses_cost_more(api):
    relations = '["SaleLines","SaleLines.Item"]'
    # Query: SaleLines 2 × 0.2, SaleLines.Item 2 × (2 × 0.1) under the to-many SaleLines.
    assert (
        api.call("GET", "Sale", params={"load_relations": relations}).headers["X-LS-API-Request-Cost"]
        == "1.8"
    )
    same_field = api.call("GET", "Item", params={"or": "itemID=1|itemID=2"})
    assert same_field.headers["X-LS-API-Request-Cost"] == "1"
    two_fields = api.call("GET", "Item", params={"or": "itemID=1|customSku=A"})
    assert two_fields.headers["X-LS-API-Request-Cost"] == "3"


def test_count_costs_ten_and_nested_write_entities_half_a_drip_each(api):
    assert api.call("GET", "Item", params={"count": "1"}).headers["X-LS-API-Request-Cost"] == "10"
    created = api.post(
        "Item", item_body("Costly", qoh={1: 1}, Prices={"ItemPrice": [{"useTypeID": 1, "amount": 1}]})
    )
    assert created.headers["X-LS-API-Request-Cost"] == "2"
    sale = api.post(
        "Sale",
        {
            "shopID": 1,
            "registerID": 1,
            "employeeID": 1,
            "completed": True,
            "SaleLines": {"SaleLine": {"itemID": 0, "unitPrice": "1"}},
            "SalePayments": {"SalePayment": {"paymentTypeID": 1, "amount": "5"}},
        },
    )
    assert sale.status_code == 200, sale.text
    assert sale.headers["X-LS-API-Request-Cost"] == "6"  # 2 + 3 completing + 2 × 0.5


def test_a_burst_overflows_the_bucket_then_gets_429_with_retry_after(limited):
    statuses, last_ok = [], None
    for _ in range(15):
        response = limited.call("GET", "Shop")
        statuses.append(response.status_code)
        if response.status_code == 200:
            last_ok = response
    assert statuses == [200] * 10 + [429] * 5
    # The request that overflows gets through; the level may then sit above the size.
    refused = limited.call("GET", "Shop")
    assert refused.status_code == 429
    assert refused.headers["X-LS-API-RateLimit-Type"] == "api-leaky-bucket"
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["httpCode"] == "429"
    assert _level(last_ok)[0] >= 10


def test_the_bucket_drains_at_the_drip_rate(limited, small_bucket):
    for _ in range(8):
        limited.call("GET", "Shop")
    before, _ = _level(limited.call("GET", "Shop"))
    small_bucket.advance_clock(5)
    after, _ = _level(limited.call("GET", "Shop"))
    # Five seconds at 1 drip/s out, one request (1 drip) in (the clock is frozen otherwise).
    assert after == pytest.approx(before - 5 + 1)


def test_after_waiting_retry_after_seconds_requests_pass_again(limited, small_bucket):
    response = None
    for _ in range(14):
        response = limited.call("GET", "Shop")
    assert response.status_code == 429
    small_bucket.advance_clock(int(response.headers["Retry-After"]))
    assert limited.call("GET", "Shop").status_code == 200


def test_each_account_and_client_has_its_own_bucket(limited, small_bucket):
    small_bucket.seed(
        records={"ApiClient": [{"clientID": "other", "secret": "s", "redirectUri": "https://x.test/cb"}]}
    )
    other = Api(small_bucket, small_bucket.mint_tokens(client_id="other")["access_token"])
    for _ in range(12):
        limited.call("GET", "Shop")
    assert limited.call("GET", "Shop").status_code == 429
    assert other.call("GET", "Shop").status_code == 200


def test_concurrent_requests_never_lose_a_drip(sandbox_server_factory):
    server = sandbox_server_factory(seed="empty", bucket_size=100000, drip_rate=0.0001, burst_limit=0)
    token = server.mint_tokens()["access_token"]
    url = f"{server.api_url}/API/V3/Account/{server.account_id}/Shop.json"

    def hit(_):
        with requests.Session() as http:
            return [
                http.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=30).status_code
                for _ in range(25)
            ]

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = [s for batch in pool.map(hit, range(8)) for s in batch]
    assert statuses == [200] * 200
    bucket = server.stats()["buckets"][0]
    assert 199.5 <= bucket["level"] <= 200


def test_the_burst_limiter_refuses_more_than_its_share_of_a_second(sandbox_server_factory):
    server = sandbox_server_factory(seed="empty", burst_limit=5)
    server.freeze_clock()  # one 1-second window however long the twelve requests take
    api = Api(server, server.mint_tokens()["access_token"])
    responses = [api.call("GET", "Shop") for _ in range(12)]
    assert [r.status_code for r in responses] == [200] * 5 + [429] * 7
    refused = [r for r in responses if r.status_code == 429]
    assert refused[0].headers["X-LS-API-RateLimit-Type"] == "api-burst-limiter"
    assert "burst rate limit exceeded" in refused[0].json()["message"].lower()
    assert refused[0].headers["Retry-After"] == "1"
    assert responses[0].headers["X-LS-API-Burst-Level"] == "1/5"


def test_extra_registers_grow_the_bucket_and_the_drip_rate(demo_api):
    # The demo account has six registers: 90 + 5 × 10 and 1 + 5 × 0.5.
    response = demo_api.call("GET", "Shop")
    assert response.headers["X-LS-API-Bucket-Level"].endswith("/140")
    assert response.headers["X-LS-API-Drip-Rate"] == "3.5"
    assert response.headers["X-LS-API-Burst-Level"].endswith("/31")  # the burst limit follows: 2/9
