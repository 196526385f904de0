"""`manage.py lightspeed_sandbox` starts the sandbox in its own process with its own settings."""

import subprocess
import sys
from contextlib import contextmanager

import pytest
import requests

from integrations.lightspeed_sandbox.testing import BASE_DIR

pytestmark = pytest.mark.e2e


@contextmanager
def _command(*options: str):
    """Runs the command until the block ends; yields the base URL it printed."""
    process = subprocess.Popen(
        [sys.executable, "manage.py", "lightspeed_sandbox", "--host", "127.0.0.1", "--port", "0", *options],
        cwd=BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output = []
        while not output or "listening on" not in output[-1]:
            output.append(process.stdout.readline())
            assert output[-1] or process.poll() is None, "the command exited:\n" + "".join(output)
        yield output[-1].split("listening on ", 1)[1].strip()
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_command_serves_the_sandbox_from_its_own_database(tmp_path):
    database = tmp_path / "own.sqlite3"
    with _command("--db", str(database), "--seed", "demo", "--drip-rate", "2", "--bucket-size", "50") as url:
        stats = requests.get(f"{url}/_sandbox/stats", timeout=10).json()
        assert stats["records"]["shops"] == 3 and stats["records"]["sales"] > 60
        assert (stats["config"]["dripRate"], stats["config"]["bucketSize"]) == (2, 50)
        assert database.exists()
    # --reset wipes the file before seeding; the token lifetime and the simulator are options too.
    options = (
        "--db",
        str(database),
        "--reset",
        "--seed",
        "empty",
        "--token-ttl",
        "120",
        "--simulate-sales",
        "1",
    )
    with _command(*options) as url:
        stats = requests.get(f"{url}/_sandbox/stats", timeout=10).json()
        assert (stats["records"]["shops"], stats["records"]["items"]) == (1, 0)
        tokens = requests.post(f"{url}/_sandbox/tokens", json={}, timeout=10).json()
        assert tokens["expires_in"] == 120
        assert requests.get(f"{url}/_sandbox/simulator", timeout=10).json()["running"] is True
