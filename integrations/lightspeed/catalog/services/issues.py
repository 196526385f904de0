"""What the issues queue's Retry and "map to a product" do for the catalog's issue kinds.

* `upload_rejected` (a `PUT Item` Lightspeed refused; key: itemID): Retry makes the item due and
  schedules an upload; a new refusal reopens the issue.
* `item_create_rejected` (key: SKU): Retry lets the products job create it again (it skips
  products with an open refusal) and schedules that job.
* `item_create_failed` (key: SKU; a 5xx or timeout): the products job tries again by itself a few
  times; once it gave up, Retry gives it another attempt the same way.
* `item_match_ambiguous` (key: itemID): map to a product links that item to the chosen product
  (matched by a person) — the only way a duplicate code is settled without a guess.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from integrations.commerce.models import Product, User
from integrations.lightspeed.catalog.services.schedule import upload_debounced
from integrations.lightspeed.jobs.enqueue import JobEnqueueError, job_enqueue
from integrations.lightspeed.jobs.issues import IssueActionError, IssueOutcome, issue_handler_register
from integrations.lightspeed.models import ProductLink, SyncIssue


def _item_id(issue: SyncIssue) -> int:
    if not issue.key.isdigit():
        raise IssueActionError(f"The issue's key {issue.key!r} is not a Lightspeed itemID.")
    return int(issue.key)


def upload_rejected_retry(issue: SyncIssue, actor: User | None) -> IssueOutcome:
    marked = ProductLink.objects.filter(company_id=issue.company_id, item_id=_item_id(issue)).update(
        upload_due_at=Coalesce("upload_due_at", timezone.now())
    )
    if not marked:
        raise IssueActionError(f"No product is linked to Lightspeed item {issue.key} any more.")
    transaction.on_commit(lambda: upload_debounced(issue.company_id))
    return IssueOutcome(True, f"Item {issue.key} goes up again with the next upload.")


def item_create_rejected_retry(issue: SyncIssue, actor: User | None) -> IssueOutcome:
    try:
        job_enqueue(company_id=issue.company_id, job="products", trigger="manual")
    except JobEnqueueError as exc:
        raise IssueActionError(exc.message) from exc
    return IssueOutcome(True, f"The products job is queued and creates {issue.key} again.")


@transaction.atomic
def ambiguous_item_map(issue: SyncIssue, product: Product, actor: User | None) -> IssueOutcome:
    item_id = _item_id(issue)
    taken = (
        ProductLink.objects.filter(company_id=issue.company_id, item_id=item_id)
        .exclude(product=product)
        .first()
    )
    if taken is not None:
        raise IssueActionError(f"Lightspeed item {item_id} is already linked to {taken.product.sku}.")
    link, _ = ProductLink.objects.select_for_update().get_or_create(
        product=product, defaults={"company_id": issue.company_id}
    )
    if link.item_id not in (None, item_id):
        raise IssueActionError(f"{product.sku} is already linked to Lightspeed item {link.item_id}.")
    link.item_id, link.matched_by, link.linked_at = item_id, ProductLink.MatchedBy.MANUAL, timezone.now()
    link.upload_due_at = link.upload_due_at or timezone.now()
    link.save()
    return IssueOutcome(True, f"Lightspeed item {item_id} linked to {product.sku}.")


def register() -> None:
    """Called from apps.ready: Retry / map to a product for the catalog's issue kinds."""
    issue_handler_register(SyncIssue.Kind.UPLOAD_REJECTED, retry=upload_rejected_retry)
    issue_handler_register(SyncIssue.Kind.ITEM_CREATE_REJECTED, retry=item_create_rejected_retry)
    issue_handler_register(SyncIssue.Kind.ITEM_CREATE_FAILED, retry=item_create_rejected_retry)
    issue_handler_register(SyncIssue.Kind.ITEM_MATCH_AMBIGUOUS, map_to_product=ambiguous_item_map)
