"""With the demo's settings (DEBUG on), a Django warning is written once, through LOGGING's handler.

Django installs its own console handler on the "django" logger while DEBUG is on; without
LOGGING taking that logger over, every warning (each 404, each error page) printed twice in
`make demo`, and the first copy skipped the masking filter. runserver's access lines had a
handler of their own too, and printed the OAuth callback's code and state.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[3]
SCRIPT = """
import logging
import django
django.setup()
logging.getLogger("django.request").warning("Not Found: /oauth?token=%s", "eyJsecret-token-value")
logging.getLogger("django.server").info('"GET /lightspeed/oauth/callback/?code=%s&state=%s HTTP/1.1" 302 0',
                                        "the-code-value", "the-state-value")
"""


def run_with_demo_settings(tmp_path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lightsync.settings.local",
        "VAR_DIR": str(tmp_path),
        "PYTHONPATH": str(BASE_DIR),
    }
    env.pop("LOG_FORMAT", None)
    return subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def test_a_django_warning_is_written_once_and_masked_with_the_demo_settings(tmp_path):
    done = run_with_demo_settings(tmp_path)

    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if "Not Found: /oauth" in line]
    assert len(lines) == 1, done.stderr
    assert "eyJsecret-token-value" not in done.stderr


def test_the_demo_web_servers_access_lines_mask_the_oauth_code_and_state(tmp_path):
    done = run_with_demo_settings(tmp_path)

    assert done.returncode == 0, done.stderr
    assert "oauth/callback/?code=[redacted]&state=[redacted]" in done.stderr
    assert "the-code-value" not in done.stderr and "the-state-value" not in done.stderr
