"""Onboarding: a merchant's Lightspeed catalogue imported as LightSync products (`catalog_import`).

Items are read in itemID order, 100 a page with their ItemShops (the next page already requested
while this one is written), and each page is committed in one transaction together with the
itemID it ended on (`CatalogImportCursor`): a run that died resumes after the last page it
committed, and memory stays one page plus the index of the company's product codes.

For each live item: one already linked (by its stored itemID) is counted and left alone; one
whose SKU — its customSku, else its systemSku — or UPC, EAN or manufacturer SKU is a product's
already becomes an `import_sku_clash` issue instead of a second product; any other becomes a
product (title from the description, price from the chosen price level, cost from defaultCost),
linked to the item (`ProductLink.matched_by = imported`), and each mapped shop's quantity on hand
is booked as its opening balance: one ledger row, reason "import", into the shop's first mapped
sellable warehouse. A second run finds every item linked and creates nothing. A dry run reads the
same pages and counts what it would do, writing nothing.

Items in a Lightspeed item matrix also become variations: the page's new items' matrices that
have no `MatrixLink` are read by id (100 a request) and each becomes a style with its link, once
(`onboarding_matrices`); the dry run reads them too and counts styles and variations.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from integrations.commerce.models import Product, StockLedgerEntry, Warehouse
from integrations.commerce.services.stock import stock_set_many
from integrations.commerce.services.variations import VariationError
from integrations.lightspeed.api.client import LightspeedClient
from integrations.lightspeed.api.records.items import ItemRecord, item_parse
from integrations.lightspeed.catalog.services.linking import product_index
from integrations.lightspeed.catalog.services.matching import ProductIndex, gtin_key, sku_key
from integrations.lightspeed.catalog.services.onboarding_matrices import MatrixImporter
from integrations.lightspeed.catalog.services.state import (
    item_fields_apply,
    item_shops_apply,
    shops_by_lightspeed_id,
)
from integrations.lightspeed.jobs.issues import sync_issue_record
from integrations.lightspeed.models import (
    CatalogImportCursor,
    LightspeedSettings,
    LightspeedShop,
    LightspeedShopWarehouse,
    ProductLink,
    SyncIssue,
)

ZERO = Decimal("0")
# What the preview and the result show, in this order (each a count of the run).
COUNT_NAMES = (
    "items_read",
    "products_created",
    "already_linked",
    "sku_clashes",
    "archived_skipped",
    "units_booked",
    "styles_created",
    "variations_attached",
)


def opening_warehouses(settings_obj: LightspeedSettings) -> dict[int, Warehouse]:
    """Lightspeed shopID → the warehouse its opening balance goes into: the shop's first mapped
    sellable warehouse (mapping off: the configured shop → the default sellable warehouse)."""
    if not settings_obj.shops_mapping_enabled:
        if settings_obj.shop_id is None:
            return {}
        sellable = Warehouse.objects.filter(company_id=settings_obj.company_id, is_sellable=True)
        warehouse = sellable.filter(is_default=True).first() or sellable.order_by("name").first()
        shop = LightspeedShop.objects.get(pk=settings_obj.shop_id)
        return {shop.shop_id: warehouse} if warehouse is not None else {}
    firsts: dict[int, Warehouse] = {}
    for link in (
        LightspeedShopWarehouse.objects.filter(
            shop__company_id=settings_obj.company_id, shop__archived=False, warehouse__is_sellable=True
        )
        .select_related("shop", "warehouse")
        .order_by("shop_id", "position", "id")
    ):
        firsts.setdefault(link.shop.shop_id, link.warehouse)
    return firsts


@dataclass
class _Planned:
    item: ItemRecord
    product: Product


class CatalogImporter:
    """Imports pages of items for one company and run, counting what it did in `counts`."""

    def __init__(
        self,
        settings_obj: LightspeedSettings,
        *,
        dry_run: bool,
        run=None,
        client: LightspeedClient | None = None,
    ) -> None:
        self.settings_obj = settings_obj
        self.company_id = settings_obj.company_id
        self.dry_run = dry_run
        self.run = run
        self.index: ProductIndex = product_index(self.company_id)
        self.warehouses = opening_warehouses(settings_obj)
        self.shops = shops_by_lightspeed_id(self.company_id)
        self.counts: dict[str, int] = dict.fromkeys(COUNT_NAMES, 0)
        self.matrices = MatrixImporter(
            company_id=self.company_id, client=client, index=self.index, price_level=settings_obj.price_level
        )

    def count(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def page(self, items: list[ItemRecord]) -> None:
        """One page: a constant number of queries (plus one per clash issue, a few per style and
        variation); items are matched to the index in memory, by stored itemID first, like the
        products job."""
        self.count("items_read", len(items))
        planned: list[_Planned] = []
        for item in items:
            if item.item_id in self.index.by_item_id:
                self.count("already_linked")
            elif item.archived:
                self.count("archived_skipped")
            elif clash := self._clash(item):
                self._clash_record(item, clash)
            else:
                planned.append(_Planned(item, self._product(item)))
        self.count("products_created", len(planned))
        self.count("units_booked", sum(self._units(p.item) for p in planned))
        if planned and not self.dry_run:
            self._save(planned)
        self._styles(planned)

    def _styles(self, planned: list[_Planned]) -> None:
        """The new items' matrices without a style become styles, and the items their variations
        (`onboarding_matrices`); a dry run reads the matrices and counts."""
        in_matrices = [p for p in planned if p.item.item_matrix_id]
        new = self.matrices.read({p.item.item_matrix_id for p in in_matrices})
        self.count("styles_created", len(new))
        if self.dry_run:
            styled = self.matrices.to_style | set(self.matrices.linked)
            self.count("variations_attached", sum(p.item.item_matrix_id in styled for p in in_matrices))
            return
        for matrix in new:
            self.matrices.style_create(matrix)
        for p in in_matrices:
            try:
                attached = self.matrices.attach(p.product, item=p.item)
            except VariationError as exc:
                self._variation_refused(p.item, str(exc))
            else:
                self.count("variations_attached", int(attached))

    # --- one item ---------------------------------------------------------------------------
    @staticmethod
    def sku_of(item: ItemRecord) -> str:
        return (item.codes.custom_sku or item.codes.system_sku).strip()

    def _clash(self, item: ItemRecord) -> str:
        """Why this item must not become a product, in words; "" when it may. The index holds the
        products made earlier in this run too, so two items with one code make one product."""
        codes, sku = item.codes, self.sku_of(item)
        if not sku:
            return "it has neither a custom SKU nor a system SKU"
        if self.index.by_sku.get(sku_key(sku)):
            return f"its SKU {sku!r} is a LightSync product's SKU already"
        for label, value in (("UPC", codes.upc), ("EAN", codes.ean)):
            if (key := gtin_key(value)) and self.index.by_gtin.get(key):
                return f"its {label} {value} is a LightSync product's already"
        if (key := sku_key(codes.manufacturer_sku)) and self.index.by_manufacturer_sku.get(key):
            return f"its manufacturer SKU {codes.manufacturer_sku!r} is a LightSync product's already"
        return ""

    def _clash_record(self, item: ItemRecord, why: str) -> None:
        self.count("sku_clashes")
        if self.dry_run:
            return
        codes = item.codes
        sync_issue_record(
            company_id=self.company_id,
            kind=SyncIssue.Kind.IMPORT_SKU_CLASH,
            key=str(item.item_id),
            message=f"Lightspeed {codes.summary()} was not imported as a product: {why}. The products "
            "job links an item to a product whose codes it matches uniquely; otherwise change the SKU "
            "on one side and import again.",
            excerpt=f"customSku={codes.custom_sku} systemSku={codes.system_sku} upc={codes.upc} "
            f"ean={codes.ean} manufacturerSku={codes.manufacturer_sku}",
            run=self.run,
        )

    def _variation_refused(self, item: ItemRecord, why: str) -> None:
        sync_issue_record(
            company_id=self.company_id,
            kind=SyncIssue.Kind.MATRIX_LINK_CONFLICT,
            key=f"import-{item.item_id}",
            message=f"Lightspeed {item.codes.summary()} was imported as a product but not as a variation "
            f"of its matrix {item.item_matrix_id}'s style: {why}",
            excerpt=f"itemMatrixID={item.item_matrix_id} attributes={'/'.join(item.attributes)}",
            run=self.run,
        )

    def _product(self, item: ItemRecord) -> Product:
        codes = item.codes
        sku = self.sku_of(item)
        price = item.price(self.settings_obj.price_level)
        product = Product(
            company_id=self.company_id,
            sku=sku,
            title=(codes.description or sku)[:255],
            upc=codes.upc,
            ean=codes.ean,
            manufacturer_sku=codes.manufacturer_sku,
            site_price=max(price or ZERO, ZERO),
            site_cost=max(item.default_cost or ZERO, ZERO),
        )
        # Later items of this run see it: a second item with the same SKU is a clash, not a twin.
        self.index.by_sku[sku_key(sku)].append(-item.item_id)
        for key in {gtin_key(codes.upc), gtin_key(codes.ean)} - {""}:
            self.index.by_gtin[key].append(-item.item_id)
        if key := sku_key(codes.manufacturer_sku):
            self.index.by_manufacturer_sku[key].append(-item.item_id)
        return product

    def _units(self, item: ItemRecord) -> int:
        return sum(row.qoh for row in item.item_shops if row.shop_id in self.warehouses and row.qoh)

    # --- writing a page ---------------------------------------------------------------------
    def _save(self, planned: list[_Planned]) -> None:
        now = timezone.now()
        Product.objects.bulk_create([p.product for p in planned])
        if planned[0].product.pk is None:  # a database that does not return ids (never here)
            by_sku = dict(
                Product.objects.filter(
                    company_id=self.company_id, sku__in=[p.product.sku for p in planned]
                ).values_list("sku", "pk")
            )
            for p in planned:
                p.product.pk = by_sku[p.product.sku]
        links = []
        for p in planned:
            link = ProductLink(
                company_id=self.company_id,
                product_id=p.product.pk,
                enabled=self.settings_obj.auto_enable_new_products,
                item_id=p.item.item_id,
                matched_by=ProductLink.MatchedBy.IMPORTED,
                linked_at=now,
            )
            item_fields_apply(link, p.item, price_level=self.settings_obj.price_level)
            links.append(link)
            self.index.by_item_id[p.item.item_id] = p.product.pk
        ProductLink.objects.bulk_create(links)
        self._opening_balances(planned)
        link_pks = dict(
            ProductLink.objects.filter(product_id__in=[p.product.pk for p in planned]).values_list(
                "product_id", "pk"
            )
        )
        item_shops_apply(
            company_id=self.company_id,
            rows=[row for p in planned for row in p.item.item_shops],
            shops=self.shops,
            links_by_item={p.item.item_id: link_pks[p.product.pk] for p in planned},
            new_only=True,
        )

    def _opening_balances(self, planned: list[_Planned]) -> None:
        """Each mapped shop's quantity on hand into its first warehouse: one ledger row per
        product and warehouse (two shops sharing a first warehouse add up there)."""
        totals: dict[tuple[int, int], int] = defaultdict(int)
        products = {p.product.pk: p.product for p in planned}
        warehouses = {w.pk: w for w in self.warehouses.values()}
        for p in planned:
            for row in p.item.item_shops:
                warehouse = self.warehouses.get(row.shop_id)
                if warehouse is not None and row.qoh:
                    totals[(p.product.pk, warehouse.pk)] += row.qoh
        stock_set_many(
            counts=[(products[pid], warehouses[wid], qty) for (pid, wid), qty in totals.items()],
            reason=StockLedgerEntry.Reason.IMPORT,
            reference="Opening balance imported from Lightspeed",
        )


def catalog_import(
    *,
    settings_obj: LightspeedSettings,
    client: LightspeedClient,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    run=None,
) -> dict[str, Any]:
    """Imports the company's Lightspeed items as products (see the module); returns its counts."""
    cursor, _ = CatalogImportCursor.objects.get_or_create(company_id=settings_obj.company_id)
    resuming = not dry_run and cursor.finished_at is None and cursor.after_item_id > 0
    after_id = cursor.after_item_id if resuming else 0
    if not dry_run and not resuming:
        cursor.after_item_id, cursor.started_at, cursor.finished_at = 0, timezone.now(), None
        cursor.save()
    set_total = getattr(progress, "set_total", None)
    if set_total is not None:
        set_total(client.count_items(after_id=after_id))
    importer = CatalogImporter(settings_obj, dry_run=dry_run, run=run, client=client)
    for records in client.iter_item_pages(after_id=after_id):
        items = [item for item in map(item_parse, records) if item.item_id]
        with transaction.atomic():
            importer.page(items)
            if not dry_run and items:
                cursor.after_item_id = max(item.item_id for item in items)
                cursor.save(update_fields=["after_item_id"])
        if progress is not None:
            progress(len(records))
    if not dry_run:
        cursor.finished_at = timezone.now()
        cursor.save(update_fields=["finished_at"])
    counts: dict[str, Any] = dict(importer.counts)
    if resuming:
        counts["resumed_after_item"] = after_id
    return counts
