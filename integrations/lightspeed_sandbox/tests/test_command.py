"""`manage.py lightspeed_sandbox` starts the sandbox in its own process with its own settings."""

import subprocess
import sys

import pytest
import requests

from integrations.lightspeed_sandbox.testing import BASE_DIR

pytestmark = pytest.mark.e2e


def test_the_command_serves_the_sandbox_from_its_own_database(tmp_path):
    database = tmp_path / "own.sqlite3"
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "lightspeed_sandbox",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--db",
            str(database),
            "--seed",
            "demo",
            "--drip-rate",
            "2",
            "--bucket-size",
            "50",
        ],
        cwd=BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        line = ""
        while "listening on" not in line:
            line = process.stdout.readline()
            assert line or process.poll() is None, "the command exited"
        base_url = line.split("listening on ", 1)[1].strip()
        stats = requests.get(f"{base_url}/_sandbox/stats", timeout=10).json()
        assert stats["records"]["shops"] == 3 and stats["records"]["sales"] > 60
        assert (stats["config"]["dripRate"], stats["config"]["bucketSize"]) == (2, 50)
        assert database.exists()
    finally:
        process.terminate()
        process.wait(timeout=10)
