"""Onboarding's styles: the item matrices of the items it imports become parent products.

For each page, the matrices of its newly imported items that LightSync has no `MatrixLink` for
(and made no style for earlier in the run) are read by id, 100 a request, with their attribute
set. Each becomes a style (`product_parent_create`): SKU the slug of its description (else, or
when a product has that SKU, "MATRIX-<id>"), title its description, attribute names its attribute
set's, price and cost its own; a `MatrixLink` (matched_by "imported") ties it to the matrix. Every
imported item of the matrix is then attached to it with its attribute values, read from the slots
its set uses (the Size set keeps Size in attribute2). A new item of a matrix already linked to a
style (by the products job, or by an import that was cut short) becomes that style's variation
the same way. A matrix of three attributes stays without a style (LightSync's styles have one or
two), and its items stay ordinary products.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone
from django.utils.text import slugify

from integrations.commerce.models import Company, Product
from integrations.commerce.services.variations import (
    MAX_ATTRIBUTES,
    product_parent_create,
    product_variation_attach,
)
from integrations.lightspeed.api.client import LightspeedClient
from integrations.lightspeed.api.records.items import ItemRecord
from integrations.lightspeed.api.records.matrices import (
    BUILT_IN_ATTRIBUTE_SETS,
    MatrixRecord,
    attribute_values,
    matrix_parse,
)
from integrations.lightspeed.catalog.services.matching import ProductIndex, sku_key
from integrations.lightspeed.models import MatrixLink, ProductLink

ZERO = Decimal("0")


def attribute_names_of(matrix: MatrixRecord) -> tuple[str, ...]:
    """The names of the slots the matrix's attribute set uses, in slot order."""
    attribute_set = matrix.attribute_set or BUILT_IN_ATTRIBUTE_SETS.get(matrix.item_attribute_set_id)
    if attribute_set is None:
        return ()
    return tuple(name for name in attribute_set.attribute_names if name)


def style_sku(matrix: MatrixRecord, index: ProductIndex) -> str:
    slug = slugify(matrix.description).upper()[:60]
    if slug and not index.by_sku.get(sku_key(slug)):
        return slug
    return f"MATRIX-{matrix.item_matrix_id}"


class MatrixImporter:
    """Styles for one company and run: those its matrices are linked to, and those it makes."""

    def __init__(
        self, *, company_id: int, client: LightspeedClient | None, index: ProductIndex, price_level: int
    ) -> None:
        self.company_id = company_id
        self.client = client
        self.index = index
        self.price_level = price_level
        linked = MatrixLink.objects.filter(
            company_id=company_id, item_matrix_id__isnull=False, product__is_parent=True
        ).select_related("product")
        # itemMatrixID → (its style, its attribute set id or 0): linked before this run or by it.
        self.linked: dict[int, tuple[Product, int]] = {
            link.item_matrix_id: (link.product, link.item_attribute_set_id or 0) for link in linked
        }
        self.matrices: dict[int, MatrixRecord | None] = {}
        self.to_style: set[int] = set()  # the matrices this run makes (or, dry, would make) styles of

    def read(self, matrix_ids: set[int]) -> list[MatrixRecord]:
        """The matrices not linked and not read yet, read by id (100 a request); returns the new
        ones that can become styles."""
        wanted = sorted(matrix_ids - set(self.linked) - set(self.matrices))
        if not wanted or self.client is None:
            return []
        for record in self.client.iter_item_matrices(ids=wanted, include_archived=True):
            matrix = matrix_parse(record)
            self.matrices[matrix.item_matrix_id] = matrix
        new = []
        for matrix_id in wanted:
            matrix = self.matrices.setdefault(matrix_id, None)
            if matrix is not None and 0 < len(attribute_names_of(matrix)) <= MAX_ATTRIBUTES:
                new.append(matrix)
                self.to_style.add(matrix_id)
            else:
                self.matrices[matrix_id] = None
        return new

    def style_create(self, matrix: MatrixRecord) -> Product:
        sku = style_sku(matrix, self.index)
        price = matrix.price(self.price_level)
        style = product_parent_create(
            company=Company.objects.get(pk=self.company_id),
            sku=sku,
            title=(matrix.description or sku)[:255],
            attribute_names=attribute_names_of(matrix),
            price=max(price or ZERO, ZERO),
            cost=max(matrix.default_cost or ZERO, ZERO),
        )
        self.index.by_sku[sku_key(sku)].append(style.pk)
        MatrixLink.objects.create(
            company_id=self.company_id,
            product=style,
            item_matrix_id=matrix.item_matrix_id,
            item_attribute_set_id=matrix.item_attribute_set_id or None,
            matched_by=ProductLink.MatchedBy.IMPORTED,
            linked_at=timezone.now(),
        )
        self.linked[matrix.item_matrix_id] = (style, matrix.item_attribute_set_id)
        return style

    def attach(self, product: Product, *, item: ItemRecord) -> bool:
        """Makes the new product its matrix's style's variation; False when the matrix has none."""
        if item.item_matrix_id not in self.linked:
            return False
        style, set_id = self.linked[item.item_matrix_id]
        set_id = set_id or item.item_attribute_set_id
        values = attribute_values(set_id, item.attributes, len(style.attribute_names))
        product_variation_attach(parent=style, product=product, values=values)
        return True
