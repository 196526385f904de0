"""What makes a style (a parent product) and its variations valid — the one validation path.

`Product.clean` calls `variation_errors`, so the admin's form, the CSV import and the services
(which call `full_clean`) refuse the same things with the same words. The database holds what
skips them: a style is never a variation, and no two variations of a style share their values.
"""

from __future__ import annotations

from django.db.models import Model

# Rules take the product as a plain model: importing Product here would make an import cycle
# with models.py, which calls these rules from Product.clean.
Product = Model

VALUES_WITHOUT_STYLE = "Attribute values belong to a variation: choose its style (parent) too."


def variation_errors(product: Product) -> dict[str, str]:
    """Field name -> message for everything wrong with the product as a style or a variation."""
    if product.is_parent:
        return _style_errors(product)
    errors = _not_a_style_errors(product)
    if product.parent_id:
        errors.update(_variation_errors(product))
    elif product.attribute_1_value or product.attribute_2_value:
        field = "attribute_1_value" if product.attribute_1_value else "attribute_2_value"
        errors[field] = VALUES_WITHOUT_STYLE
    return errors


def _style_errors(style: Product) -> dict[str, str]:
    errors: dict[str, str] = {}
    if style.parent_id:
        errors["parent"] = "A style cannot itself be a variation of another style."
    if not style.attribute_1_name:
        errors["attribute_1_name"] = "A style names at least one attribute, e.g. Color or Size."
    elif style.attribute_2_name and style.attribute_2_name.casefold() == style.attribute_1_name.casefold():
        errors["attribute_2_name"] = "The two attributes of a style must differ."
    if style.attribute_1_value or style.attribute_2_value:
        field = "attribute_1_value" if style.attribute_1_value else "attribute_2_value"
        errors[field] = "A style names the attributes; the values belong to its variations."
    if style.pk is None:
        return errors
    if style.stock_levels.exclude(on_hand=0, reserved=0).exists():
        errors["is_parent"] = (
            f"{style.sku} holds stock, and a style holds none: move its stock to a variation first."
        )
    elif style.order_lines.exists():
        errors["is_parent"] = f"{style.sku} has been sold, and a style is never sold: keep it a product."
    if "attribute_1_name" not in errors and "attribute_2_name" not in errors:
        errors.update(_variations_fit(style))
    return errors


def _variations_fit(style: Product) -> dict[str, str]:
    """A style with variations keeps the number of attributes its variations have values for."""
    variations = style.variations.all()
    if style.attribute_2_name and variations.filter(attribute_2_value="").exists():
        return {
            "attribute_2_name": "Its variations have no value for a second attribute: "
            "give them one before the style names it."
        }
    if not style.attribute_2_name and variations.exclude(attribute_2_value="").exists():
        return {
            "attribute_2_name": "Its variations have values for two attributes: "
            "keep the second attribute's name."
        }
    return {}


def _not_a_style_errors(product: Product) -> dict[str, str]:
    errors: dict[str, str] = {}
    if product.attribute_1_name or product.attribute_2_name:
        field = "attribute_1_name" if product.attribute_1_name else "attribute_2_name"
        errors[field] = "Only a style names attributes: mark it as a style, or leave the names blank."
    if product.pk is not None and product.variations.exists():
        errors["is_parent"] = "This style has variations: detach them before it stops being a style."
    return errors


def _variation_errors(product: Product) -> dict[str, str]:
    parent = product.parent
    if parent.pk == product.pk:
        return {"parent": "A product cannot be a variation of itself."}
    if not parent.is_parent:
        return {"parent": f"{parent.sku} is not a style: choose a style as the parent."}
    if parent.company_id != product.company_id:
        return {"parent": "This style belongs to another company."}
    errors: dict[str, str] = {}
    if not product.attribute_1_value:
        errors["attribute_1_value"] = f"Enter this variation's {parent.attribute_1_name}."
    if parent.attribute_2_name and not product.attribute_2_value:
        errors["attribute_2_value"] = f"Enter this variation's {parent.attribute_2_name}."
    elif not parent.attribute_2_name and product.attribute_2_value:
        errors["attribute_2_value"] = (
            f"{parent.sku} has one attribute ({parent.attribute_1_name}): leave the second value blank."
        )
    if not errors:
        errors.update(_duplicate_values(product))
    return errors


def _duplicate_values(product: Product) -> dict[str, str]:
    twin = (
        product.parent.variations.filter(
            attribute_1_value__iexact=product.attribute_1_value,
            attribute_2_value__iexact=product.attribute_2_value,
        )
        .exclude(pk=product.pk)
        .only("sku")
        .first()
    )
    if twin is None:
        return {}
    values = " / ".join(product.attribute_values)
    return {"attribute_1_value": f"{product.parent.sku} already has the variation {values}: {twin.sku}."}
