"""Run the Lightspeed sandbox from tests: a real server subprocess over real HTTP.

    from integrations.lightspeed_sandbox.testing import SandboxServer

    server = SandboxServer.start(seed="demo")          # or "empty"; a temp DB, a free port
    tokens = server.mint_tokens(scope="employee:all")  # {"access_token", "refresh_token", ...}
    requests.get(f"{server.api_url}/API/V3/Account/{server.account_id}/Item.json",
                 headers={"Authorization": f"Bearer {tokens['access_token']}"})
    server.advance_clock(3600)                         # tokens expire, the bucket drains
    server.requests_log()                              # every request the sandbox answered
    server.stop()

`SandboxServer.start(seed="demo"|"empty"|"none", drip_rate=1, bucket_size=90, token_ttl=3600,
strict_refresh=False, simulate_sales=0, burst_limit=None (2/9 of the bucket: 20 for 90; 0 turns
it off), refreshes_per_minute=5, threads=8, latency_ms=0, latency_jitter_ms=0 (every answer outside
`/_sandbox/` waits latency_ms ± jitter ms, without holding a server thread), accounts=0 (fleet
accounts from 200001, two shops and 20 items each))` returns
once the server answers. Attributes: `base_url` (scheme://host:port), `oauth_url` and `api_url`
(both the base URL: point `LIGHTSPEED_OAUTH_URL` / `LIGHTSPEED_API_URL` at them),
`account_id`, `client_id`, `client_secret`, `redirect_uri`. Methods: `control(method, path,
json=None)` (any `/_sandbox/` call, returns the decoded JSON), `mint_tokens(account_id=…,
client_id=…, scope=…, employee_id=…)`, `requests_log(since=None)`, `stats()`,
`reset(seed="empty")`, `seed(dataset=None, records=None)` (records as in the README; add
`"fast": True` to bulk-insert thousands of plain sales), `add_fault(**fault)`, `clear_faults()`,
`advance_clock(seconds)`, `set_latency(ms, jitter_ms=0)` (`POST /_sandbox/latency`),
`add_accounts(count, **options)` (`POST /_sandbox/accounts`: the accounts with their clients and
token pairs), `account_tokens(accounts="fleet")` (fresh pairs),
`freeze_clock(frozen=True)` (the clock stands still until advanced
or thawed: rate-limit tests then do not depend on the machine's speed), `void_sale(sale_id)`, `stop()`. The bucket size and drip rate are the values for a one-register
account: like Lightspeed, each extra register adds 10 drips and 0.5 drip/s (the demo account has
six registers: 140 and 3.5/s).

Pytest fixtures (registered for the whole suite through the root conftest.py):
* `sandbox` — a fresh sandbox seeded `empty` (account, one shop and register, the demo client
  and login, no items) for each test; one server per session, reset between tests.
* `demo_sandbox` — the same server reset and seeded with the `demo` dataset for each test.
* `sandbox_server_factory` — starts servers with other options (drip rate, bucket size, token
  TTL, strict refresh, simulator); they are stopped at the end of the test.
Mark the tests that use them `e2e`. A server dies with the process that started it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DEMO_ACCOUNT_ID = 100001
DEMO_CLIENT_ID = "lightsync-demo"
DEMO_CLIENT_SECRET = "lightsync-demo-secret"  # noqa: S105 - the documented demo client
DEMO_REDIRECT_URI = "http://127.0.0.1:8000/lightspeed/oauth/callback/"
START_TIMEOUT = 60.0


class SandboxServerError(RuntimeError):
    pass


class SandboxServer:
    def __init__(
        self, process: subprocess.Popen, base_url: str, workdir: tempfile.TemporaryDirectory, seed: str
    ):
        self.process = process
        self.base_url = base_url
        self.oauth_url = base_url
        self.api_url = base_url
        self.account_id = DEMO_ACCOUNT_ID
        self.client_id = DEMO_CLIENT_ID
        self.client_secret = DEMO_CLIENT_SECRET
        self.redirect_uri = DEMO_REDIRECT_URI
        self.seed_name = seed
        self._workdir = workdir
        self._http = requests.Session()
        self._output: list[str] = []

    @classmethod
    def start(
        cls,
        seed: str = "empty",
        *,
        drip_rate: float | None = None,
        bucket_size: float | None = None,
        token_ttl: int | None = None,
        strict_refresh: bool = False,
        simulate_sales: float = 0,
        burst_limit: int | None = None,
        refreshes_per_minute: int | None = None,
        threads: int = 8,
        latency_ms: float = 0,
        latency_jitter_ms: float = 0,
        accounts: int = 0,
    ) -> SandboxServer:
        workdir = tempfile.TemporaryDirectory(prefix="lightspeed-sandbox-")
        env = {k: v for k, v in os.environ.items() if not k.startswith("LIGHTSPEED_SANDBOX_")}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(BASE_DIR), env.get("PYTHONPATH", "")]))
        env["LIGHTSPEED_SANDBOX_DB"] = str(Path(workdir.name) / "sandbox.sqlite3")
        env["LIGHTSPEED_SANDBOX_PARENT_PID"] = str(os.getpid())
        settings = {
            "DRIP_RATE": drip_rate,
            "BUCKET_SIZE": bucket_size,
            "TOKEN_TTL": token_ttl,
            "BURST_LIMIT": burst_limit,
            "REFRESHES_PER_MINUTE": refreshes_per_minute,
        }
        env.update({f"LIGHTSPEED_SANDBOX_{k}": str(v) for k, v in settings.items() if v is not None})
        if strict_refresh:
            env["LIGHTSPEED_SANDBOX_STRICT_REFRESH"] = "1"
        argv = [
            sys.executable,
            "-m",
            "integrations.lightspeed_sandbox.server",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--seed",
            seed,
            "--threads",
            str(threads),
        ]
        if simulate_sales:
            argv += ["--simulate-sales", str(simulate_sales)]
        if accounts:
            argv += ["--accounts", str(accounts)]
        if latency_ms:
            argv += ["--latency-ms", str(latency_ms)]
        if latency_jitter_ms:
            argv += ["--latency-jitter-ms", str(latency_jitter_ms)]
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            argv, cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        base_url = cls._wait_for_address(process)
        server = cls(process, base_url, workdir, seed)
        threading.Thread(target=server._drain, daemon=True).start()
        server._wait_until_answering()
        return server

    @staticmethod
    def _wait_for_address(process: subprocess.Popen) -> str:
        deadline = time.monotonic() + START_TIMEOUT
        lines = []
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                if process.poll() is not None:
                    raise SandboxServerError("the sandbox exited:\n" + "".join(lines))
                continue
            lines.append(line)
            if "listening on " in line:
                return line.split("listening on ", 1)[1].strip()
        process.kill()
        raise SandboxServerError("the sandbox did not start in time:\n" + "".join(lines))

    def _drain(self) -> None:
        # Keep reading the server's output so it never blocks on a full pipe.
        for line in self.process.stdout:
            self._output = (self._output + [line])[-200:]

    def _wait_until_answering(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            try:
                if self._http.get(f"{self.base_url}/_sandbox/clock", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.05)
        raise SandboxServerError("the sandbox did not answer in time")

    @property
    def output(self) -> str:
        return "".join(self._output)

    # --- control API ----------------------------------------------------------------------------

    def control(self, method: str, path: str, json: Any = None) -> Any:
        url = f"{self.base_url}/_sandbox/{path.lstrip('/')}"
        response = self._http.request(method, url, json=json, timeout=120)
        if response.status_code >= 400:
            raise SandboxServerError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json()

    def mint_tokens(
        self,
        account_id: int | None = None,
        client_id: str | None = None,
        scope: str = "employee:all",
        employee_id: int | None = None,
    ) -> dict:
        body: dict[str, Any] = {
            "account_id": account_id or self.account_id,
            "client_id": client_id or self.client_id,
            "scope": scope,
        }
        if employee_id is not None:
            body["employee_id"] = employee_id
        return self.control("POST", "tokens", body)

    def requests_log(self, since: int | None = None) -> list[dict]:
        return self.control("GET", f"requests?since={since}" if since else "requests")

    def stats(self) -> dict:
        return self.control("GET", "stats")

    def reset(self, seed: str = "empty") -> dict:
        return self.control("POST", "reset", {"seed": seed})

    def seed(self, dataset: str | None = None, records: dict | None = None) -> dict:
        if dataset:
            return self.control("POST", "seed", {"dataset": dataset})
        return self.control("POST", "seed", {"records": records or {}})

    def add_fault(self, **fault: Any) -> dict:
        return self.control("POST", "faults", fault)

    def clear_faults(self) -> dict:
        return self.control("DELETE", "faults")

    def advance_clock(self, seconds: float) -> dict:
        return self.control("POST", "clock", {"advance": seconds})

    def set_latency(self, ms: float, jitter_ms: float = 0) -> dict:
        return self.control("POST", "latency", {"ms": ms, "jitter_ms": jitter_ms})

    def freeze_clock(self, frozen: bool = True) -> dict:
        return self.control("POST", "clock", {"freeze": frozen})

    def add_accounts(self, count: int, **options: Any) -> list[dict]:
        """`POST /_sandbox/accounts`: `count` fleet accounts (with token pairs unless tokens=False)."""
        return self.control("POST", "accounts", {"count": count, **options})["accounts"]

    def account_tokens(self, accounts: Any = "fleet", scope: str = "employee:all") -> list[dict]:
        """`POST /_sandbox/accounts/tokens`: a fresh token pair for each account ("fleet", "all" or ids)."""
        return self.control("POST", "accounts/tokens", {"accounts": accounts, "scope": scope})["accounts"]

    def void_sale(self, sale_id: int) -> dict:
        return self.control("POST", f"sales/{sale_id}/void", {})

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._http.close()
        self._workdir.cleanup()


# --- pytest fixtures ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _sandbox_session_server() -> Iterator[SandboxServer]:
    server = SandboxServer.start(seed="empty")
    yield server
    server.stop()


@pytest.fixture
def sandbox(_sandbox_session_server: SandboxServer) -> SandboxServer:
    """A sandbox reset to the `empty` dataset for this test."""
    _sandbox_session_server.reset(seed="empty")
    return _sandbox_session_server


@pytest.fixture
def demo_sandbox(_sandbox_session_server: SandboxServer) -> SandboxServer:
    """A sandbox reset to the `demo` dataset for this test."""
    _sandbox_session_server.reset(seed="demo")
    return _sandbox_session_server


@pytest.fixture
def sandbox_server_factory() -> Iterator:
    started: list[SandboxServer] = []

    def start(**options: Any) -> SandboxServer:
        server = SandboxServer.start(**options)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
