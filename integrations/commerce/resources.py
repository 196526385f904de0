"""CSV (and other tablib formats) import and export of products and stock levels.

Every import writes into exactly one company, given to the resource by the admin (the merchant's
own; the one ops staff picked): lookups only ever see that company's rows and new rows get that
company, so a file can never touch another company's data. An import is all or nothing: any bad
row rolls the whole file back and is reported with its row number. Stock quantities go through
the stock service, so every change is in the ledger.
"""

from __future__ import annotations

from decimal import InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from import_export import fields, resources, widgets
from import_export.results import RowResult

from integrations.commerce.models import Company, Product, StockLedgerEntry, StockLevel, Warehouse
from integrations.commerce.services.stock import StockError, stock_set
from integrations.commerce.services.variations import VariationError, product_parent_create
from integrations.commerce.variation_rules import VALUES_WITHOUT_STYLE

MAX_ON_HAND = 1_000_000_000  # a count, not a typo'd barcode; well inside the database's integer range


class CompanyResource(resources.ModelResource):
    """A resource bound to one company (None only for exports, which the admin scopes)."""

    def __init__(self, company: Company | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target_company = company

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None, **kwargs):
        # Always in a transaction, rolled back on any invalid row: nothing is half-imported.
        kwargs["rollback_on_validation_errors"] = True
        return super().import_data(
            dataset, dry_run=dry_run, raise_errors=raise_errors, use_transactions=True, **kwargs
        )

    def get_user_visible_fields(self):
        # The import page lists the columns a file may carry: read-only (export) columns are ignored.
        return [field for field in super().get_user_visible_fields() if not field.readonly]

    def before_import(self, dataset, **kwargs):
        if self.target_company is None:
            raise ValueError("Choose the company to import into.")
        super().before_import(dataset, **kwargs)


class MoneyWidget(widgets.DecimalWidget):
    """A decimal column whose bad values are reported as a row's validation error, not a crash."""

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except (InvalidOperation, TypeError) as exc:
            raise ValueError(f"'{value}' is not a number") from exc


class CompanyForeignKeyWidget(widgets.ForeignKeyWidget):
    """Finds the related row by a natural key (SKU, warehouse code) within the import's company."""

    def __init__(self, model, field: str, resource: CompanyResource, label: str) -> None:
        super().__init__(model, field=field)
        self.resource = resource
        self.label = label

    def get_queryset(self, value, row, *args, **kwargs):
        company = self.resource.target_company
        return self.model.objects.filter(company=company) if company else self.model.objects.none()

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except self.model.DoesNotExist as exc:
            raise ValueError(f"no {self.label} '{value}' in {self.resource.target_company}") from exc


VARIATION_COLUMNS = ("attribute_1_name", "attribute_2_name", "attribute_1_value", "attribute_2_value")


class ProductResource(CompanyResource):
    """Products, styles and variations. A row naming attributes (`attribute_1_name`, `_2_name`) is
    a style; a row with a `parent_sku` is a variation with its `attribute_1_value`, `_2_value`.
    A variation may come before its style in the file. Styles and variations are validated by
    `Product.clean`, as in the admin."""

    site_price = fields.Field(attribute="site_price", column_name="site_price", widget=MoneyWidget())
    site_cost = fields.Field(attribute="site_cost", column_name="site_cost", widget=MoneyWidget())
    parent_sku = fields.Field(attribute="parent", column_name="parent_sku")
    company_name = fields.Field(attribute="company__name", column_name="company", readonly=True)

    class Meta:
        model = Product
        fields = (
            "sku",
            "title",
            "upc",
            "ean",
            "manufacturer_sku",
            "site_price",
            "site_cost",
            "active",
            "category",
            "parent_sku",
            *VARIATION_COLUMNS,
            "company_name",
        )
        export_order = fields
        import_id_fields = ("sku",)
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def __init__(self, company: Company | None = None, **kwargs: Any) -> None:
        super().__init__(company=company, **kwargs)
        self.fields["parent_sku"].widget = CompanyForeignKeyWidget(Product, "sku", self, "style with SKU")
        self.made_early: set[str] = set()

    def get_queryset(self):
        if self.target_company is None:
            return Product.objects.select_related("company", "parent")
        return Product.objects.filter(company=self.target_company).select_related("parent")

    def after_init_instance(self, instance, new, row, **kwargs):
        # A negative price or cost is refused by the model's own validators (full_clean, through
        # clean_model_instances), as in the admin's product form: one rule, one message.
        if new:
            instance.company = self.target_company

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self.made_early = styles_made_early(dataset, self.target_company)

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        if "attribute_1_name" in row or "attribute_2_name" in row:
            instance.is_parent = bool(instance.attribute_1_name or instance.attribute_2_name)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        try:
            super().validate_instance(instance, import_validation_errors, validate_unique)
        except ValidationError as exc:
            errors = exc.message_dict
            if "parent" in errors:  # the style named was not found: that is the row's error, not its values
                errors = {f: [m for m in ms if m != VALUES_WITHOUT_STYLE] for f, ms in errors.items()}
            raise ValidationError({f: ms for f, ms in errors.items() if ms}) from None

    def import_row(self, row, instance_loader, **kwargs):
        result = super().import_row(row, instance_loader, **kwargs)
        # A style made ahead of its row (a variation above it named it) is new to the merchant.
        made = str(row.get("sku") or "").strip() in self.made_early
        if made and result.import_type in (RowResult.IMPORT_TYPE_UPDATE, RowResult.IMPORT_TYPE_SKIP):
            result.import_type = RowResult.IMPORT_TYPE_NEW
        return result


def _cell(row: dict, column: str) -> str:
    return str(row.get(column) or "").strip()


def styles_made_early(dataset, company: Company) -> set[str]:
    """Makes the new styles of the file that a variation names above their own row, so that row
    finds its style; the style's row then fills in the rest. Returns their SKUs. A style that
    cannot be made here is left to its own row, which reports why."""
    if "parent_sku" not in (dataset.headers or ()) or "attribute_1_name" not in dataset.headers:
        return set()
    rows = [dict(zip(dataset.headers, values, strict=False)) for values in dataset]
    named_before: set[str] = set()
    wanted: dict[str, dict] = {}
    for row in rows:
        sku = _cell(row, "sku")
        if _cell(row, "attribute_1_name") and sku in named_before:
            wanted.setdefault(sku, row)
        if _cell(row, "parent_sku"):
            named_before.add(_cell(row, "parent_sku"))
    existing = set(
        Product.objects.filter(company=company, sku__in=list(wanted)).values_list("sku", flat=True)
    )
    made = set()
    for sku, row in wanted.items():
        if sku in existing:
            continue
        names = tuple(n for n in (_cell(row, "attribute_1_name"), _cell(row, "attribute_2_name")) if n)
        try:
            product_parent_create(
                company=company, sku=sku, title=_cell(row, "title") or sku, attribute_names=names
            )
        except VariationError:
            continue
        made.add(sku)
    return made


class StockLevelResource(CompanyResource):
    """Columns: sku, warehouse (its code), on_hand. Sets the count; the ledger records the change."""

    product = fields.Field(attribute="product", column_name="sku")
    warehouse = fields.Field(attribute="warehouse", column_name="warehouse")
    on_hand = fields.Field(attribute="on_hand", column_name="on_hand", widget=widgets.IntegerWidget())
    title = fields.Field(attribute="product__title", column_name="title", readonly=True)
    reserved = fields.Field(attribute="reserved", column_name="reserved", readonly=True)
    available = fields.Field(attribute="available", column_name="available", readonly=True)
    company_name = fields.Field(attribute="product__company__name", column_name="company", readonly=True)

    class Meta:
        model = StockLevel
        fields = ("product", "warehouse", "on_hand", "title", "reserved", "available", "company_name")
        export_order = fields
        import_id_fields = ("product", "warehouse")
        skip_unchanged = True
        report_skipped = True

    def __init__(self, company: Company | None = None, **kwargs: Any) -> None:
        super().__init__(company=company, **kwargs)
        self.fields["product"].widget = CompanyForeignKeyWidget(Product, "sku", self, "product with SKU")
        self.fields["warehouse"].widget = CompanyForeignKeyWidget(
            Warehouse, "code", self, "warehouse with code"
        )

    def get_queryset(self):
        levels = StockLevel.objects.select_related("product__company", "warehouse")
        if self.target_company is None:
            return levels
        return levels.filter(product__company=self.target_company)

    def get_instance(self, instance_loader, row):
        try:
            return super().get_instance(instance_loader, row)
        except ValueError as exc:  # an unknown SKU or warehouse code: the row is invalid
            raise ValidationError(str(exc)) from exc

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        missing = {}
        if instance.product_id is None:
            missing["product"] = ["a SKU is required"]
        if instance.warehouse_id is None:
            missing["warehouse"] = ["a warehouse code is required"]
        if missing:
            raise ValidationError(missing)
        if instance.on_hand is None:
            raise ValidationError({"on_hand": ["a quantity is required"]})
        if instance.on_hand < 0:
            raise ValidationError({"on_hand": ["must not be negative"]})
        if instance.on_hand > MAX_ON_HAND:
            raise ValidationError({"on_hand": [f"must not be more than {MAX_ON_HAND}"]})

    def save_instance(self, instance, is_create, row, **kwargs):
        if self._is_dry_run(kwargs) and not self._is_using_transactions(kwargs):
            return
        file_name = kwargs.get("file_name") or "file"
        try:
            level = stock_set(
                product=instance.product,
                warehouse=instance.warehouse,
                on_hand=instance.on_hand,
                reason=StockLedgerEntry.Reason.IMPORT,
                reference=f"CSV import: {file_name}",
                user=kwargs.get("user"),
            )
        except (
            StockError
        ) as exc:  # e.g. a style, which holds no stock: the row's error, in the service's words
            raise ValidationError({"product": [str(exc)]}) from exc
        instance.pk = level.pk
