"""The issues queue: recording problems with things, and acting on them (retry, map, ignore).

An issue is one problem with one thing — an unmatched Lightspeed item, a write Lightspeed
refused, a payload LightSync could not read, a duplicate SKU/UPC, a job that failed — counted
while it recurs (`sync_issue_record`). Resolving one replays what it held back: the job that
recorded a kind registers how to retry it (and, for unmatched items, how to apply a mapping):

    from integrations.lightspeed.operations.services.issues import issue_handler_register

    issue_handler_register(
        "write_refused",
        retry=lambda issue, actor: item_upload_retry(issue=issue, user=actor),  # -> IssueOutcome
    )

A handler returns an `IssueOutcome`: whether the thing is now fixed (the issue resolves) and
what happened, in words. Without a handler, Retry says plainly that nothing can replay it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from integrations.commerce.models import Product, User
from integrations.lightspeed.jobs.runner import sync_issue_record
from integrations.lightspeed.models import SyncIssue

logger = logging.getLogger(__name__)

__all__ = [
    "DUPLICATE_CODE",
    "UNMATCHED_ITEM",
    "UNREADABLE_PAYLOAD",
    "WRITE_REFUSED",
    "IssueActionRefused",
    "IssueOutcome",
    "issue_handler_register",
    "issue_ignore",
    "issue_map_to_product",
    "issue_retry",
    "sync_issue_record",
]

# The kinds of DESIGN.md / issue 8; a job's own failure is "<job>_failed".
UNMATCHED_ITEM = "unmatched_item"
WRITE_REFUSED = "write_refused"
UNREADABLE_PAYLOAD = "unreadable_payload"
DUPLICATE_CODE = "duplicate_code"
SALE_INVALID = "sale_invalid"  # the order download's: a sale whose payload could not be read
JOB_FAILED_SUFFIX = "_failed"

# How people say the kinds the jobs record (others read as their name, in words).
KIND_LABELS = {
    UNMATCHED_ITEM: "Unmatched Lightspeed item",
    WRITE_REFUSED: "Write refused by Lightspeed",
    UNREADABLE_PAYLOAD: "Payload that could not be read",
    DUPLICATE_CODE: "Duplicate SKU/UPC",
    "upload_rejected": "Write refused by Lightspeed",
    "item_create_rejected": "Item creation refused by Lightspeed",
    "sale_invalid": "Sale that could not be read",
    "item_match_ambiguous": "Duplicate SKU/UPC",
    "item_archived": "Item archived in Lightspeed",
    "stock_shortfall": "Sold more than in stock",
    "returns_warehouse_missing": "No Returns Warehouse",
    "price_level_unusable": "Price level not usable",
}


def issue_kind_label(kind: str) -> str:
    if kind in KIND_LABELS:
        return KIND_LABELS[kind]
    if kind.endswith(JOB_FAILED_SUFFIX):
        return f"{kind.removesuffix(JOB_FAILED_SUFFIX).capitalize()} job failed"
    return kind.replace("_", " ").capitalize()


class IssueActionRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class IssueOutcome:
    resolved: bool
    message: str


@dataclass(frozen=True)
class IssueHandler:
    retry: Callable[[SyncIssue, User | None], IssueOutcome] | None = None
    map_to_product: Callable[[SyncIssue, Product, User | None], IssueOutcome] | None = None


_handlers: dict[str, IssueHandler] = {}


def issue_handler_register(
    kind: str,
    *,
    retry: Callable[[SyncIssue, User | None], IssueOutcome] | None = None,
    map_to_product: Callable[[SyncIssue, Product, User | None], IssueOutcome] | None = None,
) -> None:
    """Declares how to replay an issue of `kind` (Retry) and how to apply a product mapping."""
    current = _handlers.get(kind, IssueHandler())
    _handlers[kind] = IssueHandler(
        retry=retry or current.retry, map_to_product=map_to_product or current.map_to_product
    )


def _job_of(issue: SyncIssue) -> str | None:
    from integrations.lightspeed.jobs.registry import JOBS

    if issue.kind.endswith(JOB_FAILED_SUFFIX):
        job = issue.kind.removesuffix(JOB_FAILED_SUFFIX)
        return job if job in JOBS else None
    return None


def handler_for(issue: SyncIssue) -> IssueHandler:
    handler = _handlers.get(issue.kind)
    if handler is not None:
        return handler
    if _job_of(issue) is not None:
        return IssueHandler(retry=_retry_job)
    if issue.kind == UNMATCHED_ITEM:
        return IssueHandler(map_to_product=_map_unmatched_item)
    if issue.kind == SALE_INVALID and issue.key.isdigit():
        return IssueHandler(retry=_replay_sale)
    return IssueHandler()


def can_retry(issue: SyncIssue) -> bool:
    return issue.status != SyncIssue.Status.RESOLVED and handler_for(issue).retry is not None


def can_map(issue: SyncIssue) -> bool:
    return issue.status != SyncIssue.Status.RESOLVED and handler_for(issue).map_to_product is not None


def _retry_job(issue: SyncIssue, actor: User | None) -> IssueOutcome:
    from integrations.lightspeed.jobs.enqueue import JobEnqueueRefused, job_enqueue

    job = _job_of(issue)
    try:
        job_enqueue(company_id=issue.company_id, job=job, trigger="manual")
    except JobEnqueueRefused as exc:
        raise IssueActionRefused(exc.message) from exc
    return IssueOutcome(False, f"The {job} job is queued; the issue resolves when it works again.")


def _replay_sale(issue: SyncIssue, actor: User | None) -> IssueOutcome:
    from integrations.lightspeed.api import errors
    from integrations.lightspeed.orders.services import replay as orders_replay

    try:
        result = orders_replay.sale_replay(company_id=issue.company_id, sale_id=int(issue.key))
    except (orders_replay.SaleReplayError, errors.LightspeedError) as exc:
        raise IssueActionRefused(getattr(exc, "message", None) or str(exc)) from exc
    issue.refresh_from_db(fields=["status"])
    resolved = issue.status != SyncIssue.Status.OPEN or result.imported
    return IssueOutcome(resolved, f"Sale {issue.key} fetched again from Lightspeed: {result}.")


def _map_unmatched_item(issue: SyncIssue, product: Product, actor: User | None) -> IssueOutcome:
    from integrations.lightspeed.orders.services.resolve import unmatched_item_resolve

    try:
        result = unmatched_item_resolve(issue=issue, product=product, user=actor)
    except ValueError as exc:  # the order download's refusal (UnmatchedItemResolveError), in its words
        raise IssueActionRefused(str(exc)) from exc
    lines = result.get("lines") if isinstance(result, dict) else None
    detail = f": {lines} sale line(s) fixed and their stock moved" if lines is not None else ""
    return IssueOutcome(True, f"Item {issue.key} mapped to {product.sku}{detail}.")


def _close(issue: SyncIssue, *, status: str, actor: User | None, resolution: str) -> SyncIssue:
    with transaction.atomic():
        issue = SyncIssue.objects.select_for_update().get(pk=issue.pk)
        issue.status = status
        issue.resolved_at = timezone.now()
        issue.resolved_by = actor
        issue.resolution = resolution[:500]
        issue.save(update_fields=["status", "resolved_at", "resolved_by", "resolution"])
    return issue


def _actor_label(actor: User | None) -> str:
    return actor.get_username() if actor is not None else "LightSync"


def issue_retry(*, issue: SyncIssue, actor: User | None = None) -> IssueOutcome:
    """Replays what the issue held back. Resolves it when the replay fixed the thing."""
    handler = handler_for(issue)
    if issue.status == SyncIssue.Status.RESOLVED:
        raise IssueActionRefused("This issue is already resolved.")
    if handler.retry is None:
        raise IssueActionRefused(
            f"Nothing can replay a {issue.kind.replace('_', ' ')} issue yet: fix the cause in Lightspeed "
            "or LightSync; it resolves itself on the next run that succeeds."
        )
    outcome = handler.retry(issue, actor)
    if outcome.resolved:
        _close(
            issue,
            status=SyncIssue.Status.RESOLVED,
            actor=actor,
            resolution=f"Retried by {_actor_label(actor)}: {outcome.message}",
        )
    logger.info("Issue %s (%s) retried: %s", issue.pk, issue.kind, outcome.message)
    return outcome


def issue_map_to_product(*, issue: SyncIssue, product: Product, actor: User | None = None) -> IssueOutcome:
    """Maps the issue's Lightspeed item to a product of the same company, and replays."""
    if product.company_id != issue.company_id:
        raise IssueActionRefused("That product belongs to another company.")
    if issue.status == SyncIssue.Status.RESOLVED:
        raise IssueActionRefused("This issue is already resolved.")
    handler = handler_for(issue)
    if handler.map_to_product is None:
        raise IssueActionRefused(f"A {issue.kind.replace('_', ' ')} issue cannot be mapped to a product.")
    outcome = handler.map_to_product(issue, product, actor)
    if outcome.resolved:
        _close(
            issue,
            status=SyncIssue.Status.RESOLVED,
            actor=actor,
            resolution=f"{outcome.message} — {_actor_label(actor)}",
        )
    logger.info("Issue %s (%s) mapped to product %s", issue.pk, issue.kind, product.pk)
    return outcome


def issue_ignore(*, issue: SyncIssue, actor: User | None = None) -> SyncIssue:
    """Stops showing the issue as open; it is still counted (not reopened) if the problem recurs."""
    if issue.status == SyncIssue.Status.RESOLVED:
        raise IssueActionRefused("This issue is already resolved.")
    return _close(
        issue, status=SyncIssue.Status.IGNORED, actor=actor, resolution=f"Ignored by {_actor_label(actor)}"
    )
