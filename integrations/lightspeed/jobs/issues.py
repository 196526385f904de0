"""Recording problems with things (`sync_issue_record`) and declaring how to act on them.

An issue is one problem with one thing — an unmatched Lightspeed item, a write Lightspeed
refused, a sale LightSync could not read, a duplicate SKU/UPC, a job that failed — counted while
it recurs. The capability that records a kind declares how a person's Retry replays it (and, for
items, how a mapping to a product applies) with `issue_handler_register`, from `apps.ready`:

    issue_handler_register(SyncIssue.Kind.UPLOAD_REJECTED, retry=upload_rejected_retry)

A handler returns an `IssueOutcome`: whether the thing is now fixed (the issue resolves) and what
happened, in words; it raises `IssueActionError` to refuse. The issues queue's actions live in
operations/services/issues.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from integrations.commerce.models import Product, User
from integrations.core.errors import RefusalError
from integrations.lightspeed.models import SyncIssue


class IssueActionError(RefusalError):
    """Retry, map or ignore was refused; nothing changed."""


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


def registered_handler(kind: str) -> IssueHandler | None:
    return _handlers.get(kind)


def sync_issue_record(
    *, company_id: int, kind: str, key: str, message: str, excerpt: str = "", run=None
) -> SyncIssue:
    """Opens (or counts again) the issue of one problem thing."""
    now = timezone.now()
    issue, created = SyncIssue.objects.get_or_create(
        company_id=company_id,
        kind=kind,
        key=key,
        defaults={
            "message": message,
            "excerpt": excerpt[:4000],
            "run": run,
            "first_seen_at": now,
            "last_seen_at": now,
        },
    )
    if not created:
        _seen_again(issue, message, now, run)
        if excerpt:
            issue.excerpt = excerpt[:4000]
        issue.save()
    return issue


def _seen_again(issue: SyncIssue, message: str, now, run) -> None:
    """An existing issue recurs: counted again, its message and run the latest; a resolved one
    reopens (an ignored one stays ignored)."""
    issue.message, issue.last_seen_at, issue.count, issue.run = message, now, issue.count + 1, run
    if issue.status == SyncIssue.Status.RESOLVED:
        issue.status = SyncIssue.Status.OPEN


def sync_issues_record(*, company_id: int, kind: str, messages: dict[str, str], run=None) -> None:
    """`sync_issue_record` for many things of one kind (key → message), in three statements
    whatever their number: a page of sales short of stock on twenty SKUs is one read, one insert
    and one update, not forty round trips."""
    if not messages:
        return
    now = timezone.now()
    seen = list(SyncIssue.objects.filter(company_id=company_id, kind=kind, key__in=list(messages)))
    for issue in seen:
        _seen_again(issue, messages[issue.key], now, run)
    SyncIssue.objects.bulk_update(seen, ["message", "last_seen_at", "count", "run", "status"])
    known = {issue.key for issue in seen}
    # ignore_conflicts: one opened meanwhile by another job is that issue, already recorded.
    SyncIssue.objects.bulk_create(
        [
            SyncIssue(
                company_id=company_id,
                kind=kind,
                key=key,
                message=message,
                run=run,
                first_seen_at=now,
                last_seen_at=now,
            )
            for key, message in messages.items()
            if key not in known
        ],
        ignore_conflicts=True,
    )
