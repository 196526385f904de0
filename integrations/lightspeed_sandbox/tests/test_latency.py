"""Latency: every answer outside /_sandbox/ waits N ± J ms, after the bucket has counted it.

Wall-clock assertions are lower bounds, or bounds relative to the latency, never absolute upper
bounds: the machine running the suite is noisy.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from integrations.lightspeed_sandbox.server import argv_for, build_parser
from integrations.lightspeed_sandbox.tests.conftest import Api

pytestmark = pytest.mark.e2e

LATENCY = 0.3  # seconds


@pytest.fixture(scope="module")
def slow_server():
    """A sandbox started with `--latency-ms 300` (and the default 8 threads)."""
    from integrations.lightspeed_sandbox.testing import SandboxServer

    server = SandboxServer.start(seed="empty", latency_ms=300)
    yield server
    server.stop()


@pytest.fixture
def slow(slow_server):
    slow_server.reset(seed="empty")  # keeps the start-up latency
    return slow_server


def _timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def test_the_options_reach_the_server_process():
    options = vars(build_parser().parse_args(["--latency-ms", "300", "--latency-jitter-ms", "50"]))
    assert (options["latency_ms"], options["latency_jitter_ms"], options["threads"]) == (300, 50, 8)
    argv = argv_for(options)
    assert argv[argv.index("--latency-ms") + 1] == "300.0"
    assert argv[argv.index("--latency-jitter-ms") + 1] == "50.0"
    assert "--latency-ms" not in argv_for(vars(build_parser().parse_args([])))


def test_an_api_request_takes_at_least_the_latency_and_the_log_says_so(slow):
    api = Api(slow, slow.mint_tokens()["access_token"])
    response, elapsed = _timed(lambda: api.call("GET", "Shop"))
    assert response.status_code == 200
    assert elapsed >= LATENCY
    assert slow.control("GET", "latency") == {
        "ms": 300,
        "jitter_ms": 0,
        "threads": 8,
        "answersWaiting": 0,  # sent
        "answersPeak": 1,
    }
    (entry,) = slow.requests_log()
    assert entry["latencyMs"] == 300
    assert slow.stats()["config"]["latencyMs"] == 300


def test_the_oauth_token_endpoint_is_delayed_too(slow):
    tokens = slow.mint_tokens()
    data = {
        "grant_type": "refresh_token",
        "refresh_token": tokens["refresh_token"],
        "client_id": slow.client_id,
        "client_secret": slow.client_secret,
    }
    response, elapsed = _timed(
        lambda: requests.post(f"{slow.oauth_url}/auth/oauth/token", data=data, timeout=30)
    )
    assert response.status_code == 200, response.text
    assert elapsed >= LATENCY
    (entry,) = slow.requests_log()
    assert entry["path"] == "/auth/oauth/token" and entry["latencyMs"] == 300


def test_the_control_api_answers_at_once_and_switches_latency_at_run_time(sandbox):
    api = Api(sandbox, sandbox.mint_tokens()["access_token"])
    assert sandbox.control("GET", "latency")["ms"] == 0
    # The shared server runs 8 threads, and keeps them: a waiting answer holds none.
    assert sandbox.set_latency(1000) == {
        "ms": 1000,
        "jitter_ms": 0,
        "threads": 8,
        "answersWaiting": 0,
        "answersPeak": 0,
    }
    _, control_elapsed = _timed(lambda: sandbox.control("GET", "clock"))
    _, api_elapsed = _timed(lambda: api.call("GET", "Shop"))
    assert api_elapsed >= 1.0
    assert control_elapsed < 0.5  # relative to the latency: the control API is never delayed
    sandbox.reset()  # back to the latency it started with
    assert sandbox.control("GET", "latency")["ms"] == 0
    assert sandbox.requests_log() == []


def _burst(server, token: str, count: int) -> list[requests.Response]:
    url = f"{server.api_url}/API/V3/Account/{server.account_id}/Shop.json"

    def one(_):
        # A connection each, as concurrent clients have.
        return requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=60)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


@pytest.mark.parametrize("how", ["at start-up", "switched on at run time"])
def test_concurrent_requests_are_not_serialised(how, slow_server, sandbox):
    server = slow_server if how == "at start-up" else sandbox
    server.reset(seed="empty")
    if server is sandbox:
        sandbox.set_latency(300)
    token = server.mint_tokens()["access_token"]
    responses, elapsed = _timed(lambda: _burst(server, token, 16))
    assert [r.status_code for r in responses] == [200] * 16
    assert elapsed >= LATENCY
    assert elapsed < 8 * LATENCY  # serialised, 16 requests would take 16 × 0.3 s
    assert [entry["latencyMs"] for entry in server.requests_log()] == [300] * 16
    assert server.control("GET", "latency")["threads"] == 8
    server.reset()


def test_a_hundred_delayed_answers_wait_at_once_on_eight_threads(sandbox_server_factory):
    # No burst limit and a deep bucket: one account takes the hundred requests at once. Two
    # seconds of latency leave the clients time to all arrive before the first answer is due.
    server = sandbox_server_factory(burst_limit=0, bucket_size=1000, latency_ms=2000, threads=8)
    token = server.mint_tokens()["access_token"]
    url = f"{server.api_url}/API/V3/Account/{server.account_id}/Shop.json"
    start = threading.Barrier(100)

    def one(_):
        start.wait()
        return requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=60).status_code

    with ThreadPoolExecutor(max_workers=100) as pool:
        statuses = list(pool.map(one, range(100)))

    assert statuses == [200] * 100
    state = server.control("GET", "latency")
    # Every answer waited its 2 s beside the 99 others, with a pool of 8 threads: none held one.
    assert (state["threads"], state["answersWaiting"]) == (8, 0)
    assert state["answersPeak"] >= 100
    assert [entry["latencyMs"] for entry in server.requests_log()] == [2000] * 100


def test_jitter_stays_within_bounds_and_never_goes_negative(sandbox):
    api = Api(sandbox, sandbox.mint_tokens()["access_token"])
    sandbox.set_latency(100, jitter_ms=50)
    for _ in range(20):
        api.call("GET", "Shop")
    delays = [entry["latencyMs"] for entry in sandbox.requests_log()]
    assert len(delays) == 20 and all(50 <= d <= 150 for d in delays)
    assert len(set(delays)) > 1  # uniform jitter, not a constant

    sandbox.set_latency(20, jitter_ms=50)  # draws below 0 are clamped to 0
    since = sandbox.requests_log()[-1]["id"]
    for _ in range(20):
        api.call("GET", "Shop")
    delays = [entry["latencyMs"] for entry in sandbox.requests_log(since=since)]
    assert len(delays) == 20 and all(0 <= d <= 70 for d in delays)
    sandbox.reset()


def test_bad_latency_is_refused(sandbox):
    with pytest.raises(Exception, match="400"):
        sandbox.set_latency(-1)
    with pytest.raises(Exception, match="400"):
        sandbox.control("POST", "latency", {"ms": "fast"})
    assert sandbox.control("GET", "latency")["ms"] == 0


def test_the_bucket_counts_a_request_when_it_arrives(sandbox):
    api = Api(sandbox, sandbox.mint_tokens()["access_token"])
    sandbox.set_latency(300)
    sent = time.time()
    api.call("GET", "Shop")
    received = time.time()
    (entry,) = sandbox.requests_log()
    # The sandbox clock runs on real time (no offset after a reset): the request was counted
    # before the answer waited its 300 ms.
    assert sent - 0.01 <= entry["time"] <= received - LATENCY
    sandbox.reset()


def test_the_bucket_level_after_a_burst_is_the_same_with_latency(sandbox):
    def level_after_burst(latency_ms: int) -> tuple[float, list[str]]:
        sandbox.reset(seed="empty")
        sandbox.freeze_clock()  # no draining: the level depends on the requests alone
        sandbox.set_latency(latency_ms)
        responses = _burst(sandbox, sandbox.mint_tokens()["access_token"], 15)
        assert [r.status_code for r in responses] == [200] * 15
        (bucket,) = sandbox.stats()["buckets"]
        return bucket["level"], sorted(r.headers["X-LS-API-Bucket-Level"] for r in responses)

    without = level_after_burst(0)
    with_latency = level_after_burst(300)
    sandbox.reset()
    assert without[0] == 15
    assert with_latency == without
