"""The issues queue's actions: Retry, map to a product, ignore.

Issues are recorded by the jobs (`jobs/issues.py: sync_issue_record`); the capability that records
a kind registers how to replay it (`issue_handler_register`, from apps.ready). Besides those, a
job's own failure is retried by queueing the job, an unreadable sale by fetching it again, and an
unmatched item is mapped by a person. Without a handler, Retry says plainly that nothing can
replay it.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from integrations.commerce.models import Product, User
from integrations.lightspeed.api import errors
from integrations.lightspeed.jobs.enqueue import JobEnqueueError, job_enqueue
from integrations.lightspeed.jobs.issues import (
    IssueActionError,
    IssueHandler,
    IssueOutcome,
    registered_handler,
)
from integrations.lightspeed.jobs.registry import JOBS
from integrations.lightspeed.models import SyncIssue
from integrations.lightspeed.models.runs import JOB_FAILED_SUFFIX
from integrations.lightspeed.orders.services import replay as orders_replay
from integrations.lightspeed.orders.services.resolve import unmatched_item_resolve

logger = logging.getLogger(__name__)


def _job_of(issue: SyncIssue) -> str | None:
    if issue.kind.endswith(JOB_FAILED_SUFFIX):
        job = issue.kind.removesuffix(JOB_FAILED_SUFFIX)
        return job if job in JOBS else None
    return None


def handler_for(issue: SyncIssue) -> IssueHandler:
    handler = registered_handler(issue.kind)
    if handler is not None:
        return handler
    if _job_of(issue) is not None:
        return IssueHandler(retry=_retry_job)
    if issue.kind == SyncIssue.Kind.UNMATCHED_ITEM:
        return IssueHandler(map_to_product=_map_unmatched_item)
    if issue.kind == SyncIssue.Kind.SALE_INVALID and issue.key.isdigit():
        return IssueHandler(retry=_replay_sale)
    return IssueHandler()


def can_retry(issue: SyncIssue) -> bool:
    return issue.status != SyncIssue.Status.RESOLVED and handler_for(issue).retry is not None


def can_map(issue: SyncIssue) -> bool:
    return issue.status != SyncIssue.Status.RESOLVED and handler_for(issue).map_to_product is not None


def _retry_job(issue: SyncIssue, actor: User | None) -> IssueOutcome:
    job = _job_of(issue)
    try:
        job_enqueue(company_id=issue.company_id, job=job, trigger="manual")
    except JobEnqueueError as exc:
        raise IssueActionError(exc.message) from exc
    return IssueOutcome(False, f"The {job} job is queued; the issue resolves when it works again.")


def _replay_sale(issue: SyncIssue, actor: User | None) -> IssueOutcome:
    try:
        result = orders_replay.sale_replay(company_id=issue.company_id, sale_id=int(issue.key))
    except (orders_replay.SaleReplayError, errors.LightspeedError) as exc:
        raise IssueActionError(getattr(exc, "message", None) or str(exc)) from exc
    issue.refresh_from_db(fields=["status"])
    resolved = issue.status != SyncIssue.Status.OPEN or result.imported
    return IssueOutcome(resolved, f"Sale {issue.key} fetched again from Lightspeed: {result}.")


def _map_unmatched_item(issue: SyncIssue, product: Product, actor: User | None) -> IssueOutcome:
    try:
        result = unmatched_item_resolve(issue=issue, product=product, user=actor)
    except ValueError as exc:  # the order download's refusal (UnmatchedItemResolveError), in its words
        raise IssueActionError(str(exc)) from exc
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
        raise IssueActionError("This issue is already resolved.")
    if handler.retry is None:
        raise IssueActionError(
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
        raise IssueActionError("That product belongs to another company.")
    if issue.status == SyncIssue.Status.RESOLVED:
        raise IssueActionError("This issue is already resolved.")
    handler = handler_for(issue)
    if handler.map_to_product is None:
        raise IssueActionError(f"A {issue.kind.replace('_', ' ')} issue cannot be mapped to a product.")
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
        raise IssueActionError("This issue is already resolved.")
    return _close(
        issue, status=SyncIssue.Status.IGNORED, actor=actor, resolution=f"Ignored by {_actor_label(actor)}"
    )
