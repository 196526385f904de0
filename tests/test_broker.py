"""The embedded broker (kombu's filesystem transport) carries tasks between real processes."""

import subprocess
import sys
import uuid
from types import SimpleNamespace

from celery import Celery

from lightsync.celery import consume_routed_queues, routed_queue_names
from tests.celery_worker import (
    BASE_DIR,
    embedded_env,
    queued_messages,
    running_worker,
    send_ping_to_every_queue,
    send_pings,
)


def test_a_task_sent_by_one_process_is_run_by_a_worker_process_over_the_embedded_broker(tmp_path):
    token = uuid.uuid4().hex

    send_pings(tmp_path, [token])

    # Nothing has run it yet: the message waits on disk, in the folders the settings created.
    assert len(queued_messages(tmp_path)) == 1
    with running_worker(tmp_path) as worker:
        answered_at = worker.wait_for_ping(tmp_path, token, timeout=90)
        assert "core.ping" in worker.log()
    assert answered_at
    assert queued_messages(tmp_path) == []


def test_a_worker_without_queue_option_runs_tasks_sent_to_every_routed_job_queue(tmp_path):
    sent = send_ping_to_every_queue(tmp_path, uuid.uuid4().hex)

    assert len(queued_messages(tmp_path)) == len(sent)
    with running_worker(tmp_path) as worker:
        for token in sent.values():
            worker.wait_for_ping(tmp_path, token, timeout=60)
    assert queued_messages(tmp_path) == []


def _settings_in_subprocess(env: dict[str, str], expression: str) -> str:
    code = f"import django\ndjango.setup()\nfrom django.conf import settings\nprint(repr(({expression})))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_without_redis_the_broker_is_the_filesystem_under_the_var_folder(tmp_path):
    env = embedded_env(tmp_path)

    printed = _settings_in_subprocess(
        env, "settings.CELERY_BROKER_URL, settings.CELERY_BROKER_TRANSPORT_OPTIONS['control_folder']"
    )

    assert printed == repr(("filesystem://", str(tmp_path / "broker" / "control")))
    assert sorted(p.name for p in (tmp_path / "broker").iterdir()) == ["control", "processed", "queue"]


def test_redis_url_switches_broker_and_cache_to_redis(tmp_path):
    env = embedded_env(tmp_path)
    env["REDIS_URL"] = "redis://127.0.0.1:6399/3"

    printed = _settings_in_subprocess(
        env, "settings.CELERY_BROKER_URL, settings.CACHES['default']['BACKEND'].rsplit('.', 1)[1]"
    )

    assert printed == repr(("redis://127.0.0.1:6399/3", "RedisCache"))
    assert not (tmp_path / "broker").exists()


def test_routed_queue_names_reads_dict_and_string_routes_once_each():
    routes = [
        {"a.orders": {"queue": "orders"}, "a.upload": "upload", "a.more_orders": {"queue": "orders"}},
        lambda *args, **kwargs: None,
        {"a.exchange_only": {"exchange": "x"}},
    ]

    assert routed_queue_names(routes) == ["orders", "upload"]
    assert routed_queue_names({}) == []


def _worker_queues(task_routes, select=None):
    app = Celery("routing-check", set_as_current=False)
    app.conf.task_routes = task_routes
    queues = app.amqp.queues
    if select:
        queues.select(select)
    consume_routed_queues(sender="w@h", instance=SimpleNamespace(app=app))
    return queues


def test_a_worker_started_without_queue_option_also_consumes_the_routed_queues():
    queues = _worker_queues({"a.orders": {"queue": "orders"}, "a.upload": "upload"})

    assert {q.name for q in queues.consume_from.values()} == {"celery", "orders", "upload"}


def test_a_worker_started_with_explicit_queues_consumes_only_those():
    queues = _worker_queues({"a.orders": {"queue": "orders"}, "a.upload": "upload"}, select=["orders"])

    assert {q.name for q in queues.consume_from.values()} == {"orders"}
