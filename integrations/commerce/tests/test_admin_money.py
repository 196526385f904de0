"""Money on the order and return pages reads as money: 0.00 and 11.4860025, never 0E-8.

Order money is stored with eight decimal places (Lightspeed's line values are unrounded), and a
zero Decimal with eight places prints in exponent form ("0E-8").
"""

import re
from decimal import Decimal

import pytest

from integrations.commerce.tests.admin_helpers import admin_url
from integrations.commerce.tests.factories import OrderFactory, OrderLineFactory, OrderPaymentFactory

pytestmark = pytest.mark.django_db


def input_values(html: str, name_end: str) -> list[str]:
    """The value of every <input> whose name ends with `name_end` (not the empty "add" row)."""
    values = []
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]*)"', tag)
        if name and name.group(1).endswith(name_end) and "__prefix__" not in name.group(1):
            value = re.search(r'value="([^"]*)"', tag)
            values.append(value.group(1) if value else "")
    return values


def form_as_shown(html: str) -> dict:
    """What the browser posts for the page's inputs and selects, unchanged."""
    data = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and 'type="checkbox"' not in tag and 'type="submit"' not in tag:
            data[name.group(1)] = value.group(1) if value else ""
    for name, body in re.findall(r'<textarea name="([^"]*)"[^>]*>(.*?)</textarea>', html, re.S):
        data[name] = body.strip()
    for name, options in re.findall(r'<select name="([^"]*)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', options)
        data[name] = chosen.group(1) if chosen else ""
    return data


def test_an_order_page_shows_zero_and_unrounded_money_as_plain_numbers_and_saves_them_back(
    merchant_client, alpha
):
    order = OrderFactory(company=alpha.company, discount=Decimal("0"), total=Decimal("354.92"))
    line = OrderLineFactory(order=order, unit_price=Decimal("11.4860025"), discount=Decimal("0"))
    OrderPaymentFactory(order=order, amount=Decimal("354.92"))
    url = admin_url("order", "change", order.pk)

    html = merchant_client.get(url).content.decode()

    assert "E-8" not in html
    assert input_values(html, "discount") == ["0.00", "0.00"]  # the order's, then its line's
    assert input_values(html, "total") == ["19.99", "354.92", "21.19"]  # subtotal, total, line total
    assert input_values(html, "-unit_price") == ["11.4860025"]
    assert input_values(html, "-amount") == ["354.92"]

    response = merchant_client.post(url, form_as_shown(html))

    assert response.status_code == 302
    order.refresh_from_db()
    line.refresh_from_db()
    assert (order.discount, order.total, line.unit_price) == (0, Decimal("354.92"), Decimal("11.4860025"))


def test_the_order_list_shows_totals_without_trailing_zeros(merchant_client, alpha):
    OrderFactory(company=alpha.company, total=Decimal("354.92"))

    html = merchant_client.get(admin_url("order", "changelist")).content.decode()

    assert "354.92" in html and "354.92000000" not in html
