"""Auto-create's failures: a refusal waits for a person, a passing failure is tried again (bounded)."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta

import pytest

from integrations.lightspeed.catalog.services.create import CREATE_ATTEMPTS
from integrations.lightspeed.jobs.registry import JOBS
from integrations.lightspeed.jobs.runner import job_run
from integrations.lightspeed.models import LightspeedSettings, ProductLink, SyncIssue, SyncRun
from integrations.lightspeed.operations.services.issues import issue_retry

from .catalog_support import product, shop, uploads_not_queued, uploads_on, warehouse  # noqa: F401 - autouse fixture
from .conftest import resource_url
from .test_catalog_products import item

ITEM_IDS = itertools.count(700)
EMPTY_PAGE = {"@attributes": {"next": "", "previous": ""}}
NO_DESCRIPTION = {
    "httpCode": "400",
    "httpMessage": "Bad Request",
    "message": "Item not created. An Item must have a description.",
    "errorClass": "Exception",
}
UNAVAILABLE = {"httpCode": "503", "httpMessage": "Service Unavailable", "message": "Try again later."}


@pytest.fixture
def creating(connected, mocked_lightspeed):
    """Auto-create on, two enabled products missing in Lightspeed, and a Lightspeed that has none."""
    shop(connected.company, 1, "Downtown", warehouse(connected.company, "Main"))
    settings_obj = uploads_on(connected, inventory_upload_enabled=False)
    LightspeedSettings.objects.filter(pk=settings_obj.pk).update(auto_create_enabled_products=True)
    first, second = (
        product(connected.company, "FIRST", title="First"),
        product(connected.company, "SECOND", title="Second"),
    )
    for made in (first, second):
        ProductLink.objects.create(company=connected.company, product=made, enabled=True)
    mocked_lightspeed.get(resource_url("Item"), json=EMPTY_PAGE)  # the download and the SKU lookup
    return settings_obj


def answers(mocked_lightspeed, *replies) -> None:
    """Lightspeed's answers to the next `POST Item`s, in order: a status, or the SKU of the item made."""
    queue = list(replies)

    def reply(request):
        sku = json.loads(request.body)["customSku"]
        answer = queue.pop(0)
        if answer == 400:
            return 400, {}, json.dumps(NO_DESCRIPTION)
        if answer == 503:
            return 503, {}, json.dumps(UNAVAILABLE)
        if answer == 429:  # the bucket stays full longer than the client waits
            return 429, {"Retry-After": "600"}, json.dumps({"message": "Rate limit exceeded"})
        assert answer == sku, f"expected a create of {answer}, got {sku}"
        made = item(next(ITEM_IDS), customSku=sku, ItemShops="")
        return 200, {}, json.dumps({"@attributes": {"count": "1"}, "Item": made})

    mocked_lightspeed.add_callback("POST", resource_url("Item"), callback=reply)
    return queue


def created(mocked_lightspeed) -> list[str]:
    return [
        json.loads(c.request.body)["customSku"] for c in mocked_lightspeed.calls if c.request.method == "POST"
    ]


def run_products(settings_obj, sleeps) -> SyncRun:
    return job_run(company_id=settings_obj.company_id, job=JOBS["products"], sleep=sleeps)


def test_a_create_lightspeed_refuses_is_an_issue_with_its_message_until_someone_presses_retry(
    creating, mocked_lightspeed, sleeps
):
    answers(mocked_lightspeed, 400, "SECOND")

    first_run = run_products(creating, sleeps)
    again = run_products(creating, sleeps)

    assert first_run.outcome == SyncRun.Outcome.SUCCEEDED and first_run.counts["create_refused"] == 1
    assert created(mocked_lightspeed) == ["FIRST", "SECOND"]  # the second run sent nothing again
    assert ProductLink.objects.get(product__sku="SECOND").item_id is not None
    issue = SyncIssue.objects.get(kind="item_create_rejected")
    assert issue.key == "FIRST" and "An Item must have a description." in issue.message
    assert again.outcome == SyncRun.Outcome.SUCCEEDED

    answers(mocked_lightspeed, "FIRST")
    issue_retry(issue=issue)
    run_products(creating, sleeps)

    assert created(mocked_lightspeed) == ["FIRST", "SECOND", "FIRST"]
    assert ProductLink.objects.get(product__sku="FIRST").item_id is not None


def test_a_create_that_fails_for_a_moment_is_tried_again_on_the_next_run_and_the_others_still_go(
    creating, mocked_lightspeed, sleeps
):
    answers(mocked_lightspeed, 503, "SECOND", "FIRST")

    first_run = run_products(creating, sleeps)

    assert first_run.outcome == SyncRun.Outcome.SUCCEEDED, first_run.error
    assert first_run.counts["create_failed"] == 1 and first_run.counts["items_created"] == 1
    issue = SyncIssue.objects.get(kind="item_create_failed")
    assert (
        issue.key == "FIRST" and issue.status == SyncIssue.Status.OPEN and "Try again later." in issue.message
    )

    second_run = run_products(creating, sleeps)

    assert created(mocked_lightspeed) == ["FIRST", "SECOND", "FIRST"]
    assert second_run.counts["items_created"] == 1
    assert ProductLink.objects.filter(item_id__isnull=False).count() == 2
    issue.refresh_from_db()
    assert issue.status == SyncIssue.Status.RESOLVED


def test_a_create_that_keeps_failing_is_given_up_after_a_few_runs_until_someone_presses_retry(
    creating, mocked_lightspeed, sleeps
):
    answers(mocked_lightspeed, 503, "SECOND", *[503] * (CREATE_ATTEMPTS - 1))

    for _ in range(CREATE_ATTEMPTS + 2):
        run_products(creating, sleeps)

    assert created(mocked_lightspeed) == ["FIRST", "SECOND"] + ["FIRST"] * (CREATE_ATTEMPTS - 1)
    issue = SyncIssue.objects.get(kind="item_create_failed")
    assert issue.status == SyncIssue.Status.OPEN and issue.count == CREATE_ATTEMPTS
    assert "Retry" in issue.message

    answers(mocked_lightspeed, "FIRST")
    issue_retry(issue=issue)
    run_products(creating, sleeps)

    assert created(mocked_lightspeed)[-1] == "FIRST"
    assert ProductLink.objects.get(product__sku="FIRST").item_id is not None


def test_lightspeed_failing_twice_in_a_row_stops_the_creates_until_the_next_run(
    creating, mocked_lightspeed, sleeps
):
    third = product(creating.company, "THIRD", title="Third")
    ProductLink.objects.create(company=creating.company, product=third, enabled=True)
    answers(mocked_lightspeed, 503, 503)

    run = run_products(creating, sleeps)

    assert created(mocked_lightspeed) == ["FIRST", "SECOND"]  # THIRD waits: Lightspeed looks down
    assert run.counts["create_failed"] == 2


def test_a_create_rate_limited_waits_for_the_next_run_with_the_rest_and_counts_no_attempt(
    creating, mocked_lightspeed, sleeps
):
    answers(mocked_lightspeed, 429, "FIRST", "SECOND")

    first_run = run_products(creating, sleeps)
    second_run = run_products(creating, sleeps)

    assert first_run.counts["create_deferred"] == 2 and not SyncIssue.objects.exists()
    assert created(mocked_lightspeed) == ["FIRST", "FIRST", "SECOND"]
    assert second_run.counts["items_created"] == 2


def test_a_create_whose_answer_timed_out_is_linked_next_run_not_created_twice(
    creating, mocked_lightspeed, sleeps
):
    import requests

    mocked_lightspeed.add("POST", resource_url("Item"), body=requests.Timeout("read timed out"))
    answers(mocked_lightspeed, "SECOND")

    first_run = run_products(creating, sleeps)
    assert first_run.counts["create_failed"] == 1
    assert SyncIssue.objects.get(kind="item_create_failed", key="FIRST").status == SyncIssue.Status.OPEN

    # Lightspeed had made the item all the same; the next run finds it by its customSku.
    made = item(790, customSku="FIRST", timeStamp="2026-11-19T10:00:00+00:00")
    mocked_lightspeed.replace("GET", resource_url("Item"), json={**EMPTY_PAGE, "Item": made})
    run_products(creating, sleeps)

    assert created(mocked_lightspeed) == ["FIRST", "SECOND"]
    assert ProductLink.objects.get(product__sku="FIRST").item_id == 790
    assert SyncIssue.objects.get(kind="item_create_failed", key="FIRST").status == SyncIssue.Status.RESOLVED


def test_an_unanswered_create_is_not_sent_again_while_it_may_still_be_made_at_lightspeed(
    creating, mocked_lightspeed, sleeps, settings
):
    import requests
    from django.utils import timezone

    mocked_lightspeed.add("POST", resource_url("Item"), body=requests.Timeout("read timed out"))
    answers(mocked_lightspeed, "SECOND", "FIRST")

    first_run = run_products(creating, sleeps)
    assert first_run.counts["create_failed"] == 1

    # A moment later the item is still not in Lightspeed: the first create may be in flight there.
    second_run = run_products(creating, sleeps)
    assert second_run.counts["create_in_flight"] == 1
    assert created(mocked_lightspeed) == ["FIRST", "SECOND"]  # looked up, not sent again

    # Once the settle time has passed without the item appearing, the first create has failed.
    settle = timedelta(seconds=settings.LIGHTSPEED_CREATE_SETTLE_SECONDS + 1)
    ProductLink.objects.filter(product__sku="FIRST").update(create_sent_at=timezone.now() - settle)
    third_run = run_products(creating, sleeps)

    assert third_run.counts["items_created"] == 1
    assert created(mocked_lightspeed) == ["FIRST", "SECOND", "FIRST"]
    first = ProductLink.objects.get(product__sku="FIRST")
    assert first.item_id is not None and first.create_sent_at is None
    assert SyncIssue.objects.get(kind="item_create_failed", key="FIRST").status == SyncIssue.Status.RESOLVED


def test_a_create_lightspeed_answered_is_settled_at_once_whatever_the_answer(
    creating, mocked_lightspeed, sleeps
):
    answers(mocked_lightspeed, 503, "SECOND", "FIRST")

    run_products(creating, sleeps)  # FIRST: 503 (answered: nothing made); SECOND created
    assert ProductLink.objects.get(product__sku="FIRST").create_sent_at is None
    run_products(creating, sleeps)  # so the next run tries it again without waiting

    assert created(mocked_lightspeed) == ["FIRST", "SECOND", "FIRST"]


def test_a_refused_create_is_resolved_once_its_product_is_linked_to_an_item_made_by_hand(
    creating, mocked_lightspeed, sleeps
):
    answers(mocked_lightspeed, 400, "SECOND")
    run_products(creating, sleeps)
    assert SyncIssue.objects.get(kind="item_create_rejected").status == SyncIssue.Status.OPEN

    # The merchant makes the item in Lightspeed; the next download links it by its customSku.
    made = item(795, customSku="FIRST", timeStamp="2026-11-19T10:00:00+00:00")
    mocked_lightspeed.replace("GET", resource_url("Item"), json={**EMPTY_PAGE, "Item": made})
    run_products(creating, sleeps)

    assert ProductLink.objects.get(product__sku="FIRST").item_id == 795
    issue = SyncIssue.objects.get(kind="item_create_rejected")
    assert issue.status == SyncIssue.Status.RESOLVED and "linked" in issue.resolution
