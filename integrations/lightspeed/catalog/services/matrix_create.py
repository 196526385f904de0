"""Auto-create of styles: an enabled style with variations becomes one Lightspeed item matrix.

One `POST ItemMatrix` per style — its title, the attribute set its attribute names choose
(Color + Size → 1 "Color/Size", Size → 2, Color → 3, else 4 "3 Attributes"), price and cost —
after which its variations are created by `create.py` as items in that matrix, one `POST Item`
each with `itemMatrixID` and their values in the set's slots; a variation added later becomes an
item in the existing matrix the same way. A variation is never created as a loose item: it
waits until its style has a matrix.

Failures behave as the items' creates do, with the style's SKU as the issue key: a refusal waits
for Retry, a failure for a moment is tried by the next runs (at most `CREATE_ATTEMPTS`), and a
create whose answer never came (`MatrixLink.create_sent_at`) is looked up by its description
before it is sent again, once `LIGHTSPEED_CREATE_SETTLE_SECONDS` have passed.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from integrations.commerce.models import Product
from integrations.lightspeed.api import errors
from integrations.lightspeed.api.client import LightspeedClient
from integrations.lightspeed.api.records.matrices import attribute_set_for, matrix_parse
from integrations.lightspeed.catalog.services.create import (
    CREATE_ATTEMPTS,
    create_failure_record,
    create_failures_settle,
    create_refusal_record,
)
from integrations.lightspeed.catalog.services.price_level import price_level_unusable
from integrations.lightspeed.models import LightspeedSettings, MatrixLink, ProductLink, SyncIssue


def _styles_to_create(company_id: int) -> list[Product]:
    """Enabled, active styles with at least one variation and no matrix, except those refused or
    given up on."""
    waiting = SyncIssue.objects.filter(company_id=company_id, status=SyncIssue.Status.OPEN)
    refused = waiting.filter(kind=SyncIssue.Kind.ITEM_CREATE_REJECTED).values_list("key", flat=True)
    given_up = waiting.filter(kind=SyncIssue.Kind.ITEM_CREATE_FAILED, count__gte=CREATE_ATTEMPTS).values_list(
        "key", flat=True
    )
    enabled = ProductLink.objects.filter(company_id=company_id, enabled=True).values("product_id")
    return list(
        Product.objects.filter(company_id=company_id, is_parent=True, active=True, pk__in=enabled)
        .filter(variations__isnull=False)
        .exclude(lightspeed_matrix_link__item_matrix_id__isnull=False)
        .exclude(sku__in=list(refused))
        .exclude(sku__in=list(given_up))
        .distinct()
        .order_by("pk")
    )


def _in_flight(link: MatrixLink | None) -> bool:
    if link is None or link.create_sent_at is None:
        return False
    settle = timedelta(seconds=getattr(settings, "LIGHTSPEED_CREATE_SETTLE_SECONDS", 300))
    return timezone.now() - link.create_sent_at < settle


def _description(style: Product) -> str:
    return (style.title or style.sku).strip()


def _found_after_all(client: LightspeedClient, style: Product) -> int | None:
    """A matrix with the style's description that no style links yet (an unanswered create that
    made it after all), or None."""
    taken = set(
        MatrixLink.objects.filter(company_id=style.company_id, item_matrix_id__isnull=False).values_list(
            "item_matrix_id", flat=True
        )
    )
    for record in client.iter_item_matrices(description=_description(style)):
        matrix = matrix_parse(record)
        if matrix.item_matrix_id and matrix.item_matrix_id not in taken and not matrix.archived:
            return matrix.item_matrix_id
    return None


def _matrix_link_save(link: MatrixLink, **values) -> None:
    for name, value in values.items():
        setattr(link, name, value)
    link.save(update_fields=[*values, "updated_at"])


def _matrix_create(
    settings_obj: LightspeedSettings, client: LightspeedClient, style: Product, link: MatrixLink
) -> None:
    """POSTs one matrix, marked as sent for as long as its outcome is unknown; links it."""
    set_id = attribute_set_for(style.attribute_names)
    prices: dict[int, Decimal] = {}
    if not price_level_unusable(settings_obj) and style.site_price is not None:
        prices[settings_obj.price_level] = style.site_price
    _matrix_link_save(link, create_sent_at=timezone.now(), item_attribute_set_id=set_id)
    try:
        answer = client.create_item_matrix(
            description=_description(style),
            item_attribute_set_id=set_id,
            default_cost=style.site_cost,
            prices=prices,
        )
    except (errors.LightspeedTimeoutError, errors.LightspeedConnectionError):
        raise  # no answer: it may still be made, so the mark stays
    except errors.LightspeedError:
        _matrix_link_save(link, create_sent_at=None)
        raise
    matrix = matrix_parse(answer)
    _matrix_link_save(
        link,
        create_sent_at=None,
        item_matrix_id=matrix.item_matrix_id or None,
        item_attribute_set_id=matrix.item_attribute_set_id or set_id,
        matched_by=ProductLink.MatchedBy.CREATED,
        linked_at=timezone.now(),
    )


def _style_create(settings_obj, client, style: Product, counts: Counter) -> bool:
    """One style's matrix; False when Lightspeed is busy or looks down (stop this run's creates)."""
    link, _ = MatrixLink.objects.get_or_create(company_id=settings_obj.company_id, product=style)
    if link.create_sent_at is not None:
        if _in_flight(link):
            counts["matrix_create_in_flight"] += 1
            return True
        found = _found_after_all(client, style)
        if found:
            _matrix_link_save(
                link, create_sent_at=None, item_matrix_id=found, matched_by=ProductLink.MatchedBy.CREATED
            )
            create_failures_settle(settings_obj.company_id, [style.sku])
            counts["matrices_found"] += 1
            return True
    attempt = (
        SyncIssue.objects.filter(
            company_id=settings_obj.company_id,
            kind=SyncIssue.Kind.ITEM_CREATE_FAILED,
            key=style.sku,
            status=SyncIssue.Status.OPEN,
        )
        .values_list("count", flat=True)
        .first()
        or 0
    ) + 1
    try:
        _matrix_create(settings_obj, client, style, link)
    except errors.LightspeedBadRequestError as exc:
        counts["matrix_create_refused"] += 1
        create_refusal_record(settings_obj.company_id, style.sku, exc, what="the matrix of style")
        return True
    except errors.LightspeedRateLimitedError:
        return False
    except errors.LightspeedTransientError as exc:
        counts["matrix_create_failed"] += 1
        create_failure_record(
            settings_obj.company_id, style.sku, exc, attempt=attempt, what="the matrix of style"
        )
        return False
    create_failures_settle(settings_obj.company_id, [style.sku])
    counts["matrices_created"] += 1
    return True


def matrices_create(
    *, settings_obj: LightspeedSettings, client: LightspeedClient, dry_run: bool = False
) -> dict[str, int]:
    """Creates a matrix for each enabled style that lacks one (see the module)."""
    styles = _styles_to_create(settings_obj.company_id)
    if dry_run:
        return {"would_create_matrices": len(styles)} if styles else {}
    counts: Counter = Counter()
    for style in styles:
        if not _style_create(settings_obj, client, style, counts):
            break
    return dict(counts)
