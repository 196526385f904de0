"""Production settings: refuse to start half-configured, pass `check --deploy`, serve securely.

Each case runs in a subprocess, because settings are read once per process and the suite itself
runs on the test settings.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

BASE_DIR = Path(__file__).resolve().parent.parent
HOST = "lightsync.example.com"
METRICS_TOKEN = secrets.token_urlsafe(32)

pytestmark = pytest.mark.skipif(
    (BASE_DIR / ".env").is_file(),
    reason="a .env file in the checkout feeds settings and would mask missing variables",
)


def production_env(**overrides: str | None) -> dict[str, str]:
    """What an operator's environment holds: nothing from this machine's shell beyond PATH."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "lightsync.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": HOST,
        "FIELD_ENCRYPTION_KEY": f"{Fernet.generate_key().decode()},{Fernet.generate_key().decode()}",
        "DATABASE_URL": "postgres://lightsync:s3cret@db.internal:5432/lightsync",
        "REDIS_URL": "redis://cache.internal:6379/0",
        "METRICS_TOKEN": METRICS_TOKEN,
    }
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_passes_with_production_settings_and_a_realistic_environment():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_fails_on_a_weak_secret_key():
    # Guards the test above against passing whatever the settings say: long enough to start,
    # too few distinct characters for Django's deploy check.
    weak = "ab" * 30
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(SECRET_KEY=weak))

    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


@pytest.mark.parametrize(
    "missing", ["SECRET_KEY", "ALLOWED_HOSTS", "FIELD_ENCRYPTION_KEY", "DATABASE_URL", "METRICS_TOKEN"]
)
def test_production_refuses_to_start_without_a_required_variable(missing):
    result = manage("check", env=production_env(**{missing: None}))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


@pytest.mark.parametrize("value", ["", "too-short-to-sign-anything"])
def test_production_refuses_an_empty_or_short_secret_key(value):
    result = manage("check", env=production_env(SECRET_KEY=value))

    assert result.returncode != 0
    assert "SECRET_KEY must be at least 50 random characters" in result.stderr


def test_production_refuses_an_encryption_key_that_is_not_a_fernet_key():
    result = manage("check", env=production_env(FIELD_ENCRYPTION_KEY="not-a-fernet-key"))

    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY must hold Fernet keys" in result.stderr


@pytest.mark.parametrize("token", ["", "short-token"])
def test_production_refuses_an_empty_or_short_metrics_token_while_metrics_are_on(token):
    result = manage("check", env=production_env(METRICS_TOKEN=token))

    assert result.returncode != 0
    assert "Set METRICS_TOKEN to at least 32 random characters" in result.stderr
    assert "METRICS_ENABLED=false" in result.stderr


METRICS_PROBE = """
import django
django.setup()
from django.test import Client
from integrations.core import views

views.metrics_text = lambda: b"# the families, read from a database this probe does not have"
client = Client()
headers = {"HTTP_HOST": "%(host)s", "HTTP_X_FORWARDED_PROTO": "https"}
print(
    client.get("/metrics", **headers).status_code,
    client.get("/metrics", HTTP_AUTHORIZATION="Bearer %(token)s", **headers).status_code,
)
"""


def test_production_metrics_want_the_token():
    result = python(METRICS_PROBE % {"host": HOST, "token": METRICS_TOKEN}, production_env())

    assert result.returncode == 0, result.stderr
    without, with_token = result.stdout.split()
    assert (without, with_token) == ("401", "200")


def test_production_starts_without_a_metrics_token_when_metrics_are_off_and_metrics_is_a_404():
    env = production_env(METRICS_TOKEN=None, METRICS_ENABLED="false")
    result = python(METRICS_PROBE % {"host": HOST, "token": ""}, env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["404", "404"]


THROTTLE_PROBE = """
import json
import django
django.setup()
from django.conf import settings
print(json.dumps({
    "enabled": settings.AXES_ENABLED,
    "backend": settings.AUTHENTICATION_BACKENDS[0],
    "limit": settings.AXES_FAILURE_LIMIT,
    "cooloff_seconds": settings.AXES_COOLOFF_TIME.total_seconds(),
    "parameters": settings.AXES_LOCKOUT_PARAMETERS,
}))
"""


def test_production_throttles_logins_as_the_environment_says():
    default = python(THROTTLE_PROBE, production_env())
    tuned = python(
        THROTTLE_PROBE,
        production_env(LOGIN_FAILURE_LIMIT="8", LOGIN_COOLOFF_MINUTES="60", LOGIN_LOCKOUT_BY="user_or_ip"),
    )
    assert default.returncode == tuned.returncode == 0, default.stderr + tuned.stderr

    assert json.loads(default.stdout) == {
        "enabled": True,
        "backend": "axes.backends.AxesStandaloneBackend",
        "limit": 5,
        "cooloff_seconds": 900.0,
        "parameters": [["username", "ip_address"]],
    }
    assert json.loads(tuned.stdout) == {
        "enabled": True,
        "backend": "axes.backends.AxesStandaloneBackend",
        "limit": 8,
        "cooloff_seconds": 3600.0,
        "parameters": ["username", "ip_address"],
    }


def test_an_unknown_lockout_mode_is_refused_at_start():
    result = manage("check", env=production_env(LOGIN_LOCKOUT_BY="username"))

    assert result.returncode != 0
    assert "LOGIN_LOCKOUT_BY must be one of user_at_ip, user_or_ip, ip" in result.stderr


SETTINGS_PROBE = """
import json
import django
django.setup()
from django.conf import settings
from django.urls import get_resolver

def modules(resolver):
    for p in resolver.url_patterns:
        if hasattr(p, "url_patterns"):
            yield getattr(p.urlconf_module, "__name__", p.namespace or "")
            yield from modules(p)
        else:
            yield p.lookup_str

print(json.dumps({
    "apps": settings.INSTALLED_APPS,
    "urls": [str(m) for m in modules(get_resolver())],
    "debug": settings.DEBUG,
    "site_url": settings.SITE_URL,
    "csrf_trusted_origins": settings.CSRF_TRUSTED_ORIGINS,
}))
"""


def test_production_has_no_sandbox_app_or_urls_and_debug_off():
    result = python(SETTINGS_PROBE, production_env())
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout)

    assert not [app for app in probe["apps"] if "sandbox" in app]
    assert "django.contrib.admin.sites.AdminSite.login" in probe["urls"]
    assert not [url for url in probe["urls"] if "sandbox" in url]
    assert probe["debug"] is False
    assert probe["site_url"] == f"https://{HOST}"
    assert probe["csrf_trusted_origins"] == [f"https://{HOST}"]


def test_the_sandbox_app_is_installed_in_local_settings_only():
    result = python(SETTINGS_PROBE, production_env(DJANGO_SETTINGS_MODULE="lightsync.settings.local"))
    assert result.returncode == 0, result.stderr

    assert "integrations.lightspeed_sandbox" in json.loads(result.stdout)["apps"]


RESPONSES_PROBE = """
import json
import django
django.setup()
from django.test import Client
from django.templatetags.static import static

client = Client()
plain = client.get("/admin/login/", HTTP_HOST="%(host)s")
secure = client.get("/admin/login/", HTTP_HOST="%(host)s", HTTP_X_FORWARDED_PROTO="https")
css_url = static("admin/css/base.css")
css = client.get(css_url, HTTP_HOST="%(host)s", HTTP_X_FORWARDED_PROTO="https")
foreign = client.get("/admin/login/", HTTP_HOST="evil.example.net", HTTP_X_FORWARDED_PROTO="https")
csrf = secure.cookies.get("csrftoken")
print(json.dumps({
    "plain": [plain.status_code, plain.headers.get("Location")],
    "secure": secure.status_code,
    "hsts": secure.headers.get("Strict-Transport-Security"),
    "frame": secure.headers.get("X-Frame-Options"),
    "csrf_cookie_secure": bool(csrf and csrf["secure"]),
    "css_url": css_url,
    "css": [css.status_code, css.headers.get("Cache-Control")],
    "foreign": foreign.status_code,
}))
"""


def test_production_serves_over_https_only_with_hsts_secure_cookies_and_collected_static(tmp_path):
    env = production_env(STATIC_ROOT=str(tmp_path / "static"))
    collected = manage("collectstatic", "--noinput", env=env)
    assert collected.returncode == 0, collected.stderr

    result = python(RESPONSES_PROBE % {"host": HOST}, env)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)

    assert seen["plain"] == [301, f"https://{HOST}/admin/login/"]
    assert seen["secure"] == 200
    assert seen["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert seen["frame"] == "DENY"
    assert seen["csrf_cookie_secure"] is True
    # WhiteNoise serves the hashed name from the collected files, cacheable for good.
    assert (
        seen["css_url"].startswith("/static/admin/css/base.")
        and seen["css_url"] != "/static/admin/css/base.css"
    )
    assert seen["css"][0] == 200
    assert "max-age=315360000" in seen["css"][1]
    assert seen["foreign"] == 400
