"""gunicorn's access log: the request line without its query string.

LightSync's log handler masks secrets, but gunicorn writes its access line itself, and the OAuth
callback's query carries the authorization `code` and `state`. This runs the real gunicorn, with
the repository's gunicorn.conf.py, on a free port.
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

BASE_DIR = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gunicorns_access_log_names_the_path_but_never_the_oauth_code_in_the_query(tmp_path):
    port = _free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "lightsync.settings.test"}
    log = tmp_path / "gunicorn.log"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with log.open("w") as out:
        server = subprocess.Popen(
            # As the image and compose run it (their command adds --access-logfile -).
            [
                str(gunicorn),
                "lightsync.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--access-logfile",
                "-",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    requests.get(
                        f"http://127.0.0.1:{port}/lightspeed/oauth/callback/",
                        params={"code": "SECRET-AUTH-CODE", "state": "SECRET-STATE"},
                        allow_redirects=False,
                        timeout=10,
                    )
                    break
                except requests.ConnectionError:
                    assert server.poll() is None and time.monotonic() < deadline, log.read_text()
                    time.sleep(0.2)
        finally:
            server.terminate()
            server.wait(timeout=30)

    lines = [line for line in log.read_text().splitlines() if "/lightspeed/oauth/callback/" in line]
    assert lines, log.read_text()
    assert "SECRET-AUTH-CODE" not in log.read_text() and "SECRET-STATE" not in log.read_text()
    assert '"GET /lightspeed/oauth/callback/ HTTP/1.1"' in lines[0]
