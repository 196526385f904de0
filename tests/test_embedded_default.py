"""The embedded default's SQLite database is set up for several processes writing at once.

Checked in a subprocess on the embedded default, so it also runs where the suite itself uses
PostgreSQL (CI).
"""

import json
import subprocess
import sys

from tests.celery_worker import BASE_DIR, embedded_env

PROBE = """
import json, sqlite3
import django
django.setup()
from django.db import connection, transaction

with connection.cursor() as cursor:
    cursor.execute("PRAGMA journal_mode")
    journal_mode = cursor.fetchone()[0]
    cursor.execute("PRAGMA busy_timeout")
    busy_timeout_ms = cursor.fetchone()[0]

# IMMEDIATE: the write lock is taken when the transaction begins, before any write, so another
# writer waits at BEGIN instead of deadlocking later on a read-to-write upgrade.
with transaction.atomic():
    other = sqlite3.connect(connection.settings_dict["NAME"], timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        second_writer_blocked = False
    except sqlite3.OperationalError as exc:
        second_writer_blocked = "locked" in str(exc)
    finally:
        other.close()

print(json.dumps({
    "vendor": connection.vendor,
    "journal_mode": journal_mode,
    "busy_timeout_ms": busy_timeout_ms,
    "second_writer_blocked": second_writer_blocked,
}))
"""


def test_the_embedded_database_is_sqlite_in_wal_mode_with_a_busy_timeout_and_immediate_transactions(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=BASE_DIR,
        env=embedded_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "vendor": "sqlite",
        "journal_mode": "wal",
        "busy_timeout_ms": 30000,
        "second_writer_blocked": True,
    }
    assert (tmp_path / "lightsync.sqlite3").is_file()
