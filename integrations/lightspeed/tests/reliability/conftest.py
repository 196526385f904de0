"""Fixtures of the reliability suites, and the fault matrix printed at the end of the session.

`reliability_server`: one sandbox per test module (started with the mode's limits, see
support.py; taken from the sandbox's pytest plugin, as the product's tests never import the
sandbox), reset to the `empty` dataset before each test by `world`. `world` also points LightSync
at it, shortens pages and forgets LightSync's model of the account's bucket, so every test starts
from the same place.

The matrix: each `test_cell[...]` records its outcome (ok, FAIL, xfail) and the table is printed
after the tests (`pytest_terminal_summary`), cells that do not apply as n/a.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from integrations.lightspeed.tests.catalog_support import uploads_not_queued  # noqa: F401 - autouse
from integrations.lightspeed.tests.reliability import matrix
from integrations.lightspeed.tests.reliability.support import (
    PRODUCTION,
    Lightspeed,
    SandboxServer,
    Waits,
    pacing_forget,
    pages_short,
    sandbox_options,
)

SANDBOX_PLUGIN = "integrations.lightspeed_sandbox.testing"  # loaded by the root conftest.py


@pytest.fixture(scope="module")
def reliability_server(pytestconfig):
    plugin = pytestconfig.pluginmanager.get_plugin(SANDBOX_PLUGIN)
    server = plugin.SandboxServer.start(**sandbox_options())
    yield server
    server.stop()


@dataclass
class World:
    server: SandboxServer
    waits: Waits
    lightspeed: Lightspeed


@pytest.fixture
def world(reliability_server, point_at, monkeypatch) -> World:
    server = reliability_server
    server.reset(seed="empty")
    point_at(server)
    pacing_forget(server)
    pages_short(monkeypatch)
    return World(server=server, waits=Waits(server), lightspeed=Lightspeed(server))


# --- the matrix -----------------------------------------------------------------------------


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    cell = getattr(getattr(item, "callspec", None), "params", {}).get("cell")
    if cell is None or not isinstance(cell, matrix.Cell):
        return
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        if hasattr(report, "wasxfail"):
            state = "xfail" if report.skipped else "FAIL"  # an xpass of a strict xfail fails
        else:
            state = {"passed": "ok", "failed": "FAIL", "skipped": "skip"}[report.outcome]
        matrix.RESULTS[(cell.job, cell.fault.name)] = state
    elif report.when == "teardown" and report.outcome == "failed":
        matrix.RESULTS[(cell.job, cell.fault.name)] = "FAIL"


def pytest_terminal_summary(terminalreporter):
    if not matrix.RESULTS:
        return
    mode = "production-like" if PRODUCTION else "fast"
    terminalreporter.write_sep("=", f"fault matrix ({mode})")
    for line in matrix.table_lines():
        terminalreporter.write_line(line)
