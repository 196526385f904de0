"""Money shown in the admin: columns and inputs read 354.92, not 354.92000000 or 0E-8."""

from decimal import Decimal

from django import forms
from django.db import models


def money_text(value: Decimal) -> str:
    """354.92, 0.00, 11.4860025: at least two places, no trailing zeros beyond them.

    Order money keeps eight places (Lightspeed's unrounded line values); shown as stored it reads
    354.92000000, and a zero prints in exponent form (0E-8).
    """
    value = value.normalize()
    if value.as_tuple().exponent > -2:
        value = value.quantize(Decimal("0.01"))
    return f"{value:f}"


class MoneyInput(forms.NumberInput):
    def format_value(self, value):
        return money_text(value) if isinstance(value, Decimal) else super().format_value(value)


MONEY_INPUTS = {models.DecimalField: {"widget": MoneyInput}}
