"""/healthz for load balancers and orchestrators, /metrics for Prometheus."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from integrations.core.health import beat_tick_record, broker_check
from integrations.core.tasks import core_beat_tick

BASE_DIR = Path(__file__).resolve().parents[3]


@pytest.fixture
def fresh_beat(db):
    beat_tick_record()


def test_healthz_is_ok_with_database_broker_and_a_recent_beat_tick(client, fresh_beat):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "broker": True,
        "beat": True,
    }
    assert body["checks"]["beat"]["data"]["age_seconds"] < 5


def test_a_stale_beat_degrades_health_but_keeps_the_web_server_in_the_load_balancer(client, db, settings):
    beat_tick_record(now=timezone.now() - timedelta(seconds=settings.HEALTHZ_BEAT_MAX_AGE + 60))

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert "more than 300 s" in response.json()["checks"]["beat"]["detail"]
    assert client.get("/healthz", {"strict": "1"}).status_code == 503


def test_no_beat_tick_yet_is_reported(client, db):
    body = client.get("/healthz").json()
    assert body["checks"]["beat"] == {
        "ok": False,
        "detail": "no beat tick recorded yet",
        "critical": False,
        "data": {"age_seconds": None},
    }


def test_a_broken_database_makes_healthz_a_503(client, db, monkeypatch):
    from django.db import OperationalError

    def refuse(*args, **kwargs):
        raise OperationalError("could not connect to server")

    with monkeypatch.context() as patch:  # undone before the test database is torn down
        patch.setattr(connection, "cursor", refuse)
        response = client.get("/healthz")

    assert response.status_code == 503 and response.json()["status"] == "fail"
    detail = response.json()["checks"]["database"]["detail"]
    assert detail == "the database did not answer (OperationalError)"  # no host or user for anyone to read


def test_an_unreachable_redis_broker_is_reported_quickly():
    started = timezone.now()
    check = broker_check("redis://127.0.0.1:1/0", {}, timeout=1.0)
    assert not check.ok and "redis broker unreachable" in check.detail
    assert (timezone.now() - started).total_seconds() < 10


def test_a_missing_embedded_broker_folder_is_reported(tmp_path):
    check = broker_check(
        "filesystem://", {"data_folder_in": str(tmp_path / "nope"), "data_folder_out": str(tmp_path)}
    )
    assert not check.ok and "not writable" in check.detail


def test_the_beat_tick_task_records_a_tick(db):
    core_beat_tick()
    from integrations.core.models import Heartbeat

    assert (timezone.now() - Heartbeat.objects.get(name="beat").beat_at).total_seconds() < 5


def test_beat_schedules_the_tick_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["core-beat-tick"]
    assert entry["task"] == "core.beat_tick" and entry["schedule"] == timedelta(minutes=1)


def test_metrics_are_in_prometheus_format_with_the_lightspeed_families(client, fresh_beat):
    from integrations.lightspeed.operations.metrics import counter_add

    counter_add("runs", job="orders", outcome="succeeded")
    counter_add("api_requests", 7, status="200")
    counter_add("token_refreshes", result="failed")

    response = client.get("/metrics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    text = response.content.decode()
    assert 'lightsync_lightspeed_runs_total{job="orders",outcome="succeeded"} 1.0' in text
    assert 'lightsync_lightspeed_api_requests_total{status="200"} 7.0' in text
    assert 'lightsync_lightspeed_token_refreshes_total{result="failed"} 1.0' in text
    assert "# TYPE lightsync_lightspeed_orders_imported_total counter" in text
    assert "lightsync_lightspeed_orders_imported_total 0.0" in text  # present before the first order
    assert "lightsync_beat_tick_age_seconds " in text


def test_metrics_want_the_token_when_one_is_configured(client, db, settings):
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token").status_code == 200


def test_metrics_turned_off_is_a_404_token_or_not(client, db, settings):
    settings.METRICS_ENABLED = False
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token").status_code == 404


def _database_url_of_this_test() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return (
        f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    )


@pytest.mark.django_db(transaction=True)
def test_counters_raised_in_another_process_reach_this_processs_metrics(client):
    # A worker is another process (often another machine): it writes, /metrics here reads.
    env = {
        **os.environ,
        "DATABASE_URL": _database_url_of_this_test(),
        "DJANGO_SETTINGS_MODULE": "lightsync.settings.test",
    }
    code = (
        "import django; django.setup();"
        "from integrations.lightspeed.operations.metrics import counter_add;"
        "counter_add('orders_imported', 41); counter_add('orders_imported', 1)"
    )
    subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, env=env, check=True, timeout=120)

    text = client.get("/metrics").content.decode()

    assert "lightsync_lightspeed_orders_imported_total 42.0" in text
