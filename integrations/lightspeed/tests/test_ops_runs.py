"""Sync runs as operations sees them: cost, statuses, live progress, metrics, structured logs."""

from __future__ import annotations

import io
import json
import logging
from decimal import Decimal

import pytest

from integrations.core.logging import ContextFilter, JsonFormatter, RedactingFilter, redact
from integrations.lightspeed.api.transport import ClientStats
from integrations.lightspeed.jobs.progress import RunProgress
from integrations.lightspeed.jobs.registry import JOBS, Job
from integrations.lightspeed.jobs.runner import job_run
from integrations.lightspeed.models import MetricCounter, SyncRun
from integrations.lightspeed.operations.metrics import counter_add
from integrations.lightspeed.tests.jobs_support import job_for_test

from .conftest import resource_url
from .test_jobs import EMPLOYEES_PAGE, PRICE_LEVELS_PAGE, SHOPS_PAGE


def _counter(name: str, labels: str) -> int:
    row = MetricCounter.objects.filter(name=name, labels=labels).first()
    return row.value if row else 0


def test_a_run_records_its_rate_limit_cost_fullest_bucket_and_statuses(connected, mocked_lightspeed, sleeps):
    mocked_lightspeed.get(
        resource_url("Shop"), status=429, headers={"Retry-After": "1", "X-LS-API-Bucket-Level": "88/90"}
    )
    mocked_lightspeed.get(resource_url("Shop"), json=SHOPS_PAGE, headers={"X-LS-API-Bucket-Level": "45/90"})
    mocked_lightspeed.get(
        resource_url("Employee"), json=EMPLOYEES_PAGE, headers={"X-LS-API-Bucket-Level": "40/90"}
    )
    mocked_lightspeed.get(
        resource_url("PriceLevel"), json=PRICE_LEVELS_PAGE, headers={"X-LS-API-Bucket-Level": "39/90"}
    )

    run = job_run(company_id=connected.company_id, job=JOBS["shops"], sleep=sleeps)

    assert run.outcome == SyncRun.Outcome.SUCCEEDED
    assert run.api_statuses == {"429": 1, "200": 3}
    assert (run.api_requests, run.api_rate_limited) == (4, 1)
    # Shop with Registers costs 1.4, sent twice; Employee 1; PriceLevel 1
    assert run.api_cost == Decimal("4.80")
    assert (run.api_bucket_peak, run.api_bucket_size) == (Decimal("88.00"), Decimal("90.00"))


def test_a_finished_run_raises_the_metrics_counters(connected, mocked_lightspeed, sleeps):
    mocked_lightspeed.get(resource_url("Shop"), json=SHOPS_PAGE)
    mocked_lightspeed.get(resource_url("Employee"), status=400, json={"message": "Bad relation"})

    job_run(company_id=connected.company_id, job=JOBS["shops"], sleep=sleeps)

    assert _counter("runs", "job=shops,outcome=failed") == 1
    assert _counter("run_failures", "job=shops") == 1
    assert (_counter("api_requests", "status=200"), _counter("api_requests", "status=400")) == (1, 1)


def test_orders_imported_and_items_sent_come_from_the_jobs_counts(connected):
    from integrations.lightspeed.operations.metrics import run_counted

    run_counted(
        SyncRun(
            company=connected.company,
            job="orders",
            outcome="succeeded",
            counts={"orders": 7, "already_imported": 3},
        ),
        None,
    )
    run_counted(
        SyncRun(company=connected.company, job="upload", outcome="succeeded", counts={"items_sent": 4}), None
    )
    run_counted(
        SyncRun(
            company=connected.company,
            job="upload",
            outcome="succeeded",
            counts={"items_sent": 9},
            dry_run=True,
        ),
        None,
    )

    assert _counter("orders_imported", "") == 7 and _counter("items_sent", "") == 4
    assert _counter("records", "job=orders,result=already_imported") == 3


def test_a_counter_refuses_unknown_names_and_wrong_labels(db):
    with pytest.raises(KeyError):
        counter_add("orders_imported_typo")
    with pytest.raises(ValueError, match="labels"):
        counter_add("runs", job="orders")


def _job(name: str, body) -> Job:
    return job_for_test(name, body)


def test_a_run_in_progress_shows_how_far_it_got(connected):
    seen = {}

    def body(ctx):
        ctx.progress.set_total(250)
        for _ in range(3):
            ctx.progress(1)
        ctx.progress.flush()
        live = SyncRun.objects.get(outcome=SyncRun.Outcome.RUNNING)
        seen.update(done=live.progress_done, total=live.progress_total, heartbeat=live.heartbeat_at)
        return {"created": 3}

    run = job_run(company_id=connected.company_id, job=_job("progress_demo", body))

    assert seen["done"] == 3 and seen["total"] == 250 and seen["heartbeat"] is not None
    run.refresh_from_db()
    assert (run.outcome, run.progress_done, run.progress_total) == (SyncRun.Outcome.SUCCEEDED, 3, 250)


def test_progress_is_written_at_most_every_two_seconds(connected):
    run = SyncRun.objects.create(company=connected.company, job="shops")
    now = [0.0]
    forwarded = []
    progress = RunProgress(run, stats=ClientStats(), forward=forwarded.append, clock=lambda: now[0])

    for step in range(10):
        now[0] = step * 0.5
        progress(1)

    run.refresh_from_db()
    assert forwarded == [1] * 10  # the command's progress bar sees every step
    assert run.progress_done == 9  # flushed at 2.0 s (5 done) and 4.0 s (9 done), not 10 times


def _json_log(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


@pytest.fixture
def json_log():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_log_lines_of_a_run_carry_the_company_job_and_run(connected, json_log):
    def body(ctx):
        logging.getLogger("integrations.lightspeed.test").info("halfway through %s", "the shops")
        return {}

    run = job_run(company_id=connected.company_id, job=_job("logging_demo", body))
    logging.getLogger("integrations.lightspeed.test").info("after the run")

    lines = [line for line in _json_log(json_log) if line["logger"] == "integrations.lightspeed.test"]
    assert lines[0]["message"] == "halfway through the shops"
    assert (lines[0]["company_id"], lines[0]["job"], lines[0]["run_id"]) == (
        connected.company_id,
        "logging_demo",
        run.pk,
    )
    assert lines[0]["level"] == "INFO" and "time" in lines[0]
    assert (lines[1]["company_id"], lines[1]["run_id"]) == (None, None)


def test_secrets_and_email_addresses_are_masked_in_messages_and_tracebacks(json_log):
    log = logging.getLogger("integrations.lightspeed.test")
    log.warning("sent Authorization: Bearer abc123def456 for ada@example.com")
    log.warning(
        "body %s", {"access_token": "tok-AAAA", "refresh_token": "tok-BBBB", "client_secret": "sec-CCCC"}
    )
    log.warning("callback /lightspeed/oauth/callback/?code=def50200abc&state=xyz789")
    try:
        raise ValueError("refresh_token=tok-DDDD refused")
    except ValueError:
        log.exception("refresh failed")

    text = json_log.getvalue()
    for secret in (
        "abc123def456",
        "ada@example.com",
        "tok-AAAA",
        "tok-BBBB",
        "sec-CCCC",
        "def50200abc",
        "xyz789",
        "tok-DDDD",
    ):
        assert secret not in text
    assert "Authorization: [redacted]" in text and "[email]" in text


def test_redaction_leaves_ordinary_words_alone():
    for text in (
        "Downloaded 3 shops; state of the connection: connected",
        "Lightspeed answered status code: 500 for Sale.json",
        "the token expires in 59 minutes",
    ):
        assert redact(text) == text


def test_token_refreshes_are_counted_by_result(connected, mocked_lightspeed):
    from integrations.lightspeed.api import errors
    from integrations.lightspeed.connection.services.token_refresh import token_refresh

    from .conftest import TOKEN_URL, token_answer

    mocked_lightspeed.post(TOKEN_URL, json=token_answer("a2", "r2"))
    mocked_lightspeed.post(TOKEN_URL, status=503, body="Service Unavailable")
    mocked_lightspeed.post(
        TOKEN_URL, status=400, json={"error": "invalid_grant", "error_description": "revoked"}
    )

    token_refresh(company_id=connected.company_id, force=True)
    for _ in range(2):
        with pytest.raises(errors.LightspeedError):
            token_refresh(company_id=connected.company_id, force=True)

    assert (
        _counter("token_refreshes", "result=succeeded"),
        _counter("token_refreshes", "result=failed"),
    ) == (1, 2)


@pytest.mark.parametrize("log_format", ["json", "plain"])
def test_the_logging_setting_writes_context_and_masks_secrets(log_format, tmp_path):
    # The LOGGING setting as a deployed process loads it (tests run with LOGGING_CONFIG = None).
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import django, logging; django.setup();"
        "from integrations.core.logging import log_context;"
        "log = logging.getLogger('integrations.lightspeed.jobs.registry');"
        "ctx = log_context(company_id=7, job='orders', run_id=99); ctx.__enter__();"
        "log.warning('refresh_token=r-SECRET-1 for ada@example.com')"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lightsync.settings.local",
        "LOG_FORMAT": log_format,
        "VAR_DIR": str(tmp_path),
    }
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[3],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    line = result.stderr.strip().splitlines()[-1]
    assert "r-SECRET-1" not in line and "ada@example.com" not in line
    if log_format == "json":
        record = json.loads(line)
        assert (record["company_id"], record["job"], record["run_id"]) == (7, "orders", 99)
        assert record["message"] == "refresh_token=[redacted] for [email]"
    else:
        assert "[company=7 job=orders run=99] refresh_token=[redacted] for [email]" in line
