"""Styles and their variations: a parent product names one or two attributes (Color, Size) and
holds no stock; each child is an ordinary product with a value per attribute.

Both services validate through `Product.full_clean` (the rules live in
`integrations.commerce.variation_rules`), so they refuse exactly what the admin's form and the CSV
import refuse, and say it in the same words, raised as `VariationError`.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from integrations.commerce.models import Company, Product

MAX_ATTRIBUTES = 2


class VariationError(ValueError):
    """A style or variation LightSync refuses; the message says why, for a merchant."""

    def __init__(self, message: str, *, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


def _full_clean(product: Product) -> None:
    try:
        product.full_clean()
    except ValidationError as exc:
        errors = exc.message_dict
        raise VariationError(
            " ".join(m for messages in errors.values() for m in messages), errors=errors
        ) from exc


@transaction.atomic
def product_parent_create(
    *,
    company: Company,
    sku: str,
    title: str,
    attribute_names: tuple[str, ...],
    price: Decimal | None = None,
    cost: Decimal | None = None,
    category: str = "",
) -> Product:
    """A new style with its attribute names in order, e.g. ("Color", "Size") or ("Size",)."""
    names = tuple(name.strip() for name in attribute_names)
    if len(names) > MAX_ATTRIBUTES:
        raise VariationError(f"A style has one or two attributes, not {len(names)}.")
    style = Product(
        company=company,
        sku=sku,
        title=title,
        is_parent=True,
        attribute_1_name=names[0] if names else "",
        attribute_2_name=names[1] if len(names) > 1 else "",
        site_price=Decimal("0") if price is None else price,
        site_cost=Decimal("0") if cost is None else cost,
        category=category,
    )
    _full_clean(style)
    style.save()
    return style


@transaction.atomic
def product_variation_attach(*, parent: Product, product: Product, values: tuple[str, ...]) -> Product:
    """Make an existing ordinary product a variation of `parent`, with `values` in the style's
    attribute order (("Navy", "M") for Color/Size). Attaching it again to the same style changes
    its values. Refuses (VariationError) a parent that is no style, a style as the child, a child
    of another style, a different number of values, and values another variation already has."""
    values = tuple(value.strip() for value in values)
    product = Product.objects.select_for_update().get(pk=product.pk)
    if product.parent_id and product.parent_id != parent.pk:
        raise VariationError(
            f"{product.sku} is already a variation of {product.parent.sku}: detach it from that style first."
        )
    if product.is_parent:
        raise VariationError(f"{product.sku} is a style: a style cannot be a variation of another.")
    names = parent.attribute_names
    if parent.is_parent and len(values) != len(names):
        raise VariationError(
            f"{parent.sku} has {len(names)} attribute(s) ({', '.join(names)}); "
            f"{product.sku} was given {len(values)} value(s)."
        )
    product.parent = parent
    product.attribute_1_value = values[0] if values else ""
    product.attribute_2_value = values[1] if len(values) > 1 else ""
    _full_clean(product)
    product.save(update_fields=["parent", "attribute_1_value", "attribute_2_value", "updated_at"])
    return product


@transaction.atomic
def product_variation_detach(*, product: Product) -> Product:
    """Make a variation an ordinary product again (its stock and history stay with it)."""
    product = Product.objects.select_for_update().get(pk=product.pk)
    product.parent = None
    product.attribute_1_value = product.attribute_2_value = ""
    product.save(update_fields=["parent", "attribute_1_value", "attribute_2_value", "updated_at"])
    return product
