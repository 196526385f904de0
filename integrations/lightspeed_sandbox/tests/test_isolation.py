"""The sandbox stands apart: its own code, settings, database and cookies; never in production."""

import ast
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from integrations.lightspeed_sandbox.testing import BASE_DIR

PACKAGE = Path(__file__).resolve().parent.parent


def test_the_sandbox_imports_nothing_from_the_lightspeed_integration():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path}: {n}"
                for n in names
                if n == "integrations.lightspeed" or n.startswith("integrations.lightspeed.")
            ]
    assert offenders == []


def test_production_settings_and_urls_leave_the_sandbox_out(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "lightsync.settings.production",
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'production.sqlite3'}",
        "FIELD_ENCRYPTION_KEY": "bGlnaHRzeW5jLWxvY2FsLWRldi1rZXktMzJieXRlcyE=",
        "METRICS_TOKEN": "m" * 32,  # production refuses to start with /metrics open
    }
    code = (
        "import django; django.setup(); from django.conf import settings; from django.urls import get_resolver;"
        "print([a for a in settings.INSTALLED_APPS if 'sandbox' in a]);"
        "print(any('sandbox' in str(p.pattern) or '_sandbox' in str(p.pattern) for p in get_resolver().url_patterns))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["[]", "False"]


@pytest.mark.django_db
def test_lightsyncs_database_never_gets_sandbox_tables():
    from django.apps import apps
    from django.db import connection

    assert not apps.is_installed("integrations.lightspeed_sandbox.store")
    assert not [t for t in connection.introspection.table_names() if t.startswith("lightspeed_sandbox")]


@pytest.mark.e2e
def test_the_sandbox_database_holds_only_the_sandboxs_tables(sandbox):
    database = Path(sandbox._workdir.name) / "sandbox.sqlite3"
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        journal = db.execute("PRAGMA journal_mode").fetchone()[0]
    assert tables - {"django_migrations", "sqlite_sequence"}
    assert all(
        t.startswith("lightspeed_sandbox_store_") for t in tables - {"django_migrations", "sqlite_sequence"}
    )
    assert journal == "wal"
