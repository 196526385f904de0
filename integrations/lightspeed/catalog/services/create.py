"""Auto-create: enabled products missing in Lightspeed become items there, and are linked.

One `POST Item` per product with its description, custom SKU (= SKU), UPC/EAN only when they are
valid codes (Lightspeed refuses the whole item otherwise), manufacturer SKU, default cost, the
site price at the configured price level and — with inventory upload on — each shop's quantity,
so a new item costs one request, not two. A product whose item was archived in Lightspeed is
linked to it and is never recreated. A create Lightspeed refuses (a 4xx with its message) is an
issue and is not sent again until someone presses Retry on it. A create that fails for a moment
(a 5xx, a timeout, a dropped connection) is an issue too, but the next products runs try it again
— after the others, and at most `CREATE_ATTEMPTS` times before it waits for Retry as well; two
such failures in a row, or a 429, end this run's creates (Lightspeed is busy or down).

A create whose answer never came (a timeout, a dropped connection) may still be in flight at
Lightspeed: it is never sent again until the first is known to have failed. Every products run
looks the product up by its customSku first (linking the item when it is there), and sends it again
only once `LIGHTSPEED_CREATE_SETTLE_SECONDS` have passed since the unanswered create without the
item appearing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from integrations.lightspeed.api import errors
from integrations.lightspeed.api.client import LightspeedClient
from integrations.lightspeed.api.records.items import ItemRecord, item_parse
from integrations.lightspeed.api.records.matrices import attribute_slots, matrix_parse
from integrations.lightspeed.catalog.selectors import stock_available_by_shop
from integrations.lightspeed.catalog.services.linking import ItemLinker
from integrations.lightspeed.catalog.services.matching import sku_key
from integrations.lightspeed.catalog.services.price_level import price_level_unusable
from integrations.lightspeed.catalog.services.state import (
    item_fields_apply,
    item_shops_apply,
    shops_by_lightspeed_id,
)
from integrations.lightspeed.jobs.issues import sync_issue_record
from integrations.lightspeed.models import (
    ItemShopState,
    LightspeedSettings,
    LightspeedShop,
    ProductLink,
    SyncIssue,
)

CREATE_LIMIT = 500  # per run: a long backlog is created over several runs, sharing the bucket
CREATE_ATTEMPTS = 5  # runs that try a create failing for a moment before it waits for Retry


def gtin_valid(code: str, lengths: tuple[int, ...]) -> bool:
    """A UPC/EAN with the right length and check digit (GS1 mod-10)."""
    if not code or not code.isdigit() or len(code) not in lengths:
        return False
    digits = [int(c) for c in code]
    body, check = digits[:-1], digits[-1]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def item_body(link: ProductLink, *, price_level: int | None, quantities: dict[int, int]) -> dict[str, Any]:
    """The new item; without a price when `price_level` is None (the configured one is unusable)."""
    product = link.product
    body: dict[str, Any] = {
        "description": product.title or product.sku,
        "customSku": product.sku,
        "defaultCost": str(product.site_cost),
    }
    if price_level is not None:
        body["Prices"] = {"ItemPrice": [{"useTypeID": str(price_level), "amount": str(product.site_price)}]}
    if product.manufacturer_sku:
        body["manufacturerSku"] = product.manufacturer_sku
    if gtin_valid(product.upc, (12,)):
        body["upc"] = product.upc
    if gtin_valid(product.ean, (8, 13)):
        body["ean"] = product.ean
    if quantities:
        body["ItemShops"] = {
            "ItemShop": [
                {"shopID": str(shop_id), "qoh": str(qoh)} for shop_id, qoh in sorted(quantities.items())
            ]
        }
    return body


def items_create(
    *,
    settings_obj: LightspeedSettings,
    client: LightspeedClient,
    dry_run: bool = False,
    limit: int = CREATE_LIMIT,
) -> dict[str, int]:
    company_id = settings_obj.company_id
    if not dry_run:
        _linked_settle(company_id)
    failed = dict(
        SyncIssue.objects.filter(
            company_id=company_id, kind=SyncIssue.Kind.ITEM_CREATE_FAILED, status=SyncIssue.Status.OPEN
        ).values_list("key", "count")
    )
    links = _links_to_create(company_id, failed=failed, limit=limit)
    if dry_run or not links:
        return {"would_create": len(links)} if dry_run else {}
    found = _skus_in_lightspeed(settings_obj, client, links)
    create_failures_settle(
        company_id, [link.product.sku for link in links if sku_key(link.product.sku) in found]
    )
    ProductLink.objects.filter(
        pk__in=[link.pk for link in links if sku_key(link.product.sku) in found], create_sent_at__isnull=False
    ).update(create_sent_at=None)  # an unanswered create made its item after all: settled
    missing = [link for link in links if sku_key(link.product.sku) not in found]
    in_flight = [link for link in missing if _maybe_in_flight(link)]
    # A product that failed before goes after the others, so it never holds up the queue.
    links = sorted(
        (link for link in missing if link not in in_flight),
        key=lambda link: (link.product.sku in failed, link.pk),
    )
    counts = {"items_found": len(found)}
    if in_flight:
        counts["create_in_flight"] = len(in_flight)
    if not links:
        return counts
    counts.update(items_created=0, create_refused=0, create_failed=0)
    _creates_send(settings_obj, client, links, failed=failed, counts=counts)
    return counts


def _maybe_in_flight(link: ProductLink) -> bool:
    """Whether an earlier create of this product went unanswered too recently to count as failed."""
    if link.create_sent_at is None:
        return False
    settle = timedelta(seconds=getattr(settings, "LIGHTSPEED_CREATE_SETTLE_SECONDS", 300))
    return timezone.now() - link.create_sent_at < settle


def _create_sent(link: ProductLink, at) -> None:
    """Marks the create as sent (None: its outcome is known), before the request and after it."""
    link.create_sent_at = at
    ProductLink.objects.filter(pk=link.pk).update(create_sent_at=at)


def _links_to_create(company_id: int, *, failed: dict[str, int], limit: int) -> list[ProductLink]:
    """Enabled, unlinked products, except those refused or given up on (they wait for Retry)."""
    refused = SyncIssue.objects.filter(
        company_id=company_id, kind=SyncIssue.Kind.ITEM_CREATE_REJECTED, status=SyncIssue.Status.OPEN
    ).values_list("key", flat=True)
    given_up = [sku for sku, attempts in failed.items() if attempts >= CREATE_ATTEMPTS]
    return list(
        ProductLink.objects.filter(
            company_id=company_id,
            enabled=True,
            item_id__isnull=True,
            product__active=True,
            product__is_parent=False,  # a style goes to Lightspeed as a matrix, not an item
        )
        # A variation goes up only as an item of its style's matrix (matrix_create.py), never a
        # loose item: it waits until the matrix exists.
        .filter(
            Q(product__parent__isnull=True)
            | Q(product__parent__lightspeed_matrix_link__item_matrix_id__isnull=False)
        )
        .exclude(product__sku__in=refused)
        .exclude(product__sku__in=given_up)
        .select_related("product", "product__parent__lightspeed_matrix_link")
        .order_by("pk")[:limit]
    )


def _quantities_to_send(
    settings_obj: LightspeedSettings, links: list[ProductLink]
) -> dict[int, dict[int, int]]:
    """With inventory upload on: each new item's quantity per Lightspeed shop, by link."""
    quantities: dict[int, dict[int, int]] = {}
    if not settings_obj.inventory_upload_enabled:
        return quantities
    shop_ids = dict(
        LightspeedShop.objects.filter(company_id=settings_obj.company_id).values_list("pk", "shop_id")
    )
    for row in stock_available_by_shop(
        settings_obj=settings_obj,
        link_ids=[link.pk for link in links],
        differing_only=False,
        unlinked=True,
    ):
        quantities.setdefault(row.link_id, {})[shop_ids[row.shop_pk]] = row.quantity
    return quantities


def _creates_send(
    settings_obj: LightspeedSettings,
    client: LightspeedClient,
    links: list[ProductLink],
    *,
    failed: dict[str, int],
    counts: dict[str, int],
) -> None:
    """One POST per product, in order, until Lightspeed is busy (429) or looks down."""
    company_id = settings_obj.company_id
    quantities = _quantities_to_send(settings_obj, links)
    shops = shops_by_lightspeed_id(company_id)
    # An archived or unknown level would get every create refused: create without the price.
    price_level = None if price_level_unusable(settings_obj) else settings_obj.price_level
    failures_in_a_row = 0
    for position, link in enumerate(links):
        sent = quantities.get(link.pk, {})
        try:
            body = item_body(link, price_level=price_level, quantities=sent)
            answer = _item_create(client, link, body, in_matrix=matrix_place(client, link.product))
        except errors.LightspeedBadRequestError as exc:
            failures_in_a_row = 0
            counts["create_refused"] += 1
            create_refusal_record(company_id, link.product.sku, exc)
            continue
        except errors.LightspeedRateLimitedError:
            counts["create_deferred"] = len(links) - position
            break  # the bucket is full: the rest (this one too) wait for the next run, uncharged
        except errors.LightspeedTransientError as exc:
            counts["create_failed"] += 1
            failures_in_a_row += 1
            create_failure_record(
                company_id, link.product.sku, exc, attempt=failed.get(link.product.sku, 0) + 1
            )
            if failures_in_a_row >= 2:
                break  # Lightspeed looks down: the rest wait for the next run
            continue
        failures_in_a_row = 0
        _created_record(settings_obj, link, item_parse(answer), sent=sent, shops=shops)
        counts["items_created"] += 1


def matrix_place(client: LightspeedClient, product) -> dict[str, Any]:
    """`create_item`'s matrix arguments for a variation (none for an ordinary product): its style's
    matrix and its values in the slots of the matrix's attribute set — read from Lightspeed once
    (one request) for a matrix LightSync linked rather than made."""
    if product.parent_id is None:
        return {}
    link = product.parent.lightspeed_matrix_link
    if not link.item_attribute_set_id:
        matrix = matrix_parse(client.get_item_matrix(link.item_matrix_id, with_items=False))
        link.item_attribute_set_id = matrix.item_attribute_set_id
        link.save(update_fields=["item_attribute_set_id", "updated_at"])
    return {
        "item_matrix_id": link.item_matrix_id,
        "attributes": attribute_slots(link.item_attribute_set_id, product.attribute_values),
        "item_attribute_set_id": link.item_attribute_set_id,
    }


def _item_create(
    client: LightspeedClient, link: ProductLink, body: dict[str, Any], *, in_matrix: dict[str, Any]
) -> dict[str, Any]:
    """POSTs one item (in its style's matrix, for a variation), marked as sent for as long as its
    outcome is unknown."""
    _create_sent(link, timezone.now())
    try:
        answer = client.create_item(body, **in_matrix)
    except (errors.LightspeedTimeoutError, errors.LightspeedConnectionError):
        raise  # no answer: the item may still be made, so the mark stays (see _maybe_in_flight)
    except errors.LightspeedError:
        _create_sent(link, None)  # answered: Lightspeed made nothing
        raise
    _create_sent(link, None)
    return answer


def _created_record(
    settings_obj: LightspeedSettings,
    link: ProductLink,
    item: ItemRecord,
    *,
    sent: dict[int, int],
    shops: dict[int, int],
) -> None:
    """Links the product to its new item and records what the create set (price, cost, stock)."""
    company_id = settings_obj.company_id
    now = timezone.now()
    link.item_id = item.item_id or None
    link.matched_by, link.linked_at = ProductLink.MatchedBy.CREATED, now
    changed = item_fields_apply(link, item, price_level=settings_obj.price_level)
    link.price_sent, link.price_sent_at = link.product.site_price, now
    link.cost_sent, link.cost_sent_at = link.product.site_cost, now
    # Only what the create set: a person may have disabled the product meanwhile.
    link.save(
        update_fields=[
            *changed,
            "item_id",
            "matched_by",
            "linked_at",
            "price_sent",
            "price_sent_at",
            "cost_sent",
            "cost_sent_at",
            "updated_at",
        ]
    )
    item_shops_apply(
        company_id=company_id,
        rows=item.item_shops,
        shops=shops,
        links_by_item={link.item_id: link.pk},
    )
    if sent:
        ItemShopState.objects.filter(link=link, shop__shop_id__in=list(sent)).update(sent_at=now)
        for shop_id, qoh in sent.items():
            ItemShopState.objects.filter(link=link, shop__shop_id=shop_id).update(qoh_sent=qoh)
    create_failures_settle(company_id, [link.product.sku])


def create_refusal_record(company_id: int, sku: str, exc: errors.LightspeedError, *, what: str = "") -> None:
    sync_issue_record(
        company_id=company_id,
        kind=SyncIssue.Kind.ITEM_CREATE_REJECTED,
        key=sku,
        message=f"Lightspeed refused to create {_named(what, sku)}: {exc.message}",
        excerpt=exc.body,
    )
    create_failures_settle(company_id, [sku], resolution="Refused by Lightspeed instead.")


def _named(what: str, sku: str) -> str:
    return f"{what} {sku}" if what else sku


def create_failure_record(
    company_id: int, sku: str, exc: errors.LightspeedError, *, attempt: int, what: str = ""
) -> None:
    if attempt >= CREATE_ATTEMPTS:
        then = f"LightSync gave up after {attempt} attempts: press Retry once Lightspeed works again."
    else:
        then = f"LightSync tries again with the next products run (attempt {attempt} of {CREATE_ATTEMPTS})."
    sync_issue_record(
        company_id=company_id,
        kind=SyncIssue.Kind.ITEM_CREATE_FAILED,
        key=sku,
        message=f"Lightspeed could not create {_named(what, sku)} just now: {exc.message.rstrip('.')}. {then}",
        excerpt=exc.body,
    )


def _linked_settle(company_id: int) -> None:
    """A refused or failed create whose product is linked by now (the item was made in Lightspeed
    by hand, or a create whose answer was lost made it) needs nothing more: its issue resolves."""
    open_issues = SyncIssue.objects.filter(
        company_id=company_id,
        kind__in=(SyncIssue.Kind.ITEM_CREATE_REJECTED, SyncIssue.Kind.ITEM_CREATE_FAILED),
        status=SyncIssue.Status.OPEN,
    )
    skus = list(open_issues.values_list("key", flat=True))
    if not skus:
        return
    linked = ProductLink.objects.filter(
        company_id=company_id, item_id__isnull=False, product__sku__in=skus
    ).values_list("product__sku", flat=True)
    open_issues.filter(key__in=list(linked)).update(
        status=SyncIssue.Status.RESOLVED,
        resolved_at=timezone.now(),
        resolution="The product is linked to its Lightspeed item now.",
    )


def create_failures_settle(
    company_id: int, skus: list[str], *, resolution: str = "Created in Lightspeed."
) -> None:
    """A create that failed for a moment has worked (or the item turned out to exist after all)."""
    if skus:
        SyncIssue.objects.filter(
            company_id=company_id,
            kind=SyncIssue.Kind.ITEM_CREATE_FAILED,
            key__in=skus,
            status=SyncIssue.Status.OPEN,
        ).update(status=SyncIssue.Status.RESOLVED, resolved_at=timezone.now(), resolution=resolution)


def _skus_in_lightspeed(
    settings_obj: LightspeedSettings, client: LightspeedClient, links: list[ProductLink]
) -> set[str]:
    """The SKUs of these products that Lightspeed already has as a customSku (archived included),
    one request per 100: the items are linked by the matching rules, and none is created again.

    The incremental products download does not reread an item older than its cursor, and a
    create whose answer was lost (a timeout) has made the item all the same.
    """
    answers = client.iter_items(custom_skus=[link.product.sku for link in links], include_archived=True)
    items = [item for item in map(item_parse, answers) if item.item_id]
    if not items:
        return set()
    ItemLinker(settings_obj, dry_run=False).page(items)
    return {sku_key(item.codes.custom_sku) for item in items} - {""}
