"""Money on the order and return pages reads as money: 0.00 and 11.4860025, never 0E-8.

Order money is stored with eight decimal places (Lightspeed's line values are unrounded), and a
zero Decimal with eight places prints in exponent form ("0E-8").
"""

import re
from decimal import Decimal

import pytest

from integrations.commerce.models import Order
from integrations.commerce.tests.admin_helpers import admin_url
from integrations.commerce.tests.factories import (
    OrderFactory,
    OrderLineFactory,
    OrderPaymentFactory,
    ProductFactory,
    ReturnFactory,
    ReturnLineFactory,
)

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
    order = OrderFactory(
        company=alpha.company, channel=Order.Channel.MANUAL, discount=Decimal("0"), total=Decimal("354.92")
    )
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


def test_a_local_store_orders_lines_payments_and_totals_are_shown_as_its_record_not_edited(
    merchant_client, alpha
):
    order = OrderFactory(company=alpha.company, channel=Order.Channel.LOCAL_STORE, total=Decimal("354.92"))
    line = OrderLineFactory(order=order, quantity=2, unit_price=Decimal("11.4860025"), discount=Decimal("0"))
    OrderPaymentFactory(order=order, amount=Decimal("354.92"))
    url = admin_url("order", "change", order.pk)

    html = merchant_client.get(url).content.decode()

    # Shown as text, as money reads: no inputs to change what the POS sold.
    assert input_values(html, "-unit_price") == [] and input_values(html, "-quantity") == []
    assert input_values(html, "-amount") == [] and input_values(html, "total") == []
    assert "11.4860025" in html and "354.92" in html and "E-8" not in html
    assert 'name="lines-MAX_NUM_FORMS" value="0"' in html  # no line can be added
    assert 'name="payments-MAX_NUM_FORMS" value="0"' in html
    assert 'name="status"' in html and 'name="notes"' in html  # still the merchant's to set

    data = form_as_shown(html)
    data.update({"status": Order.Status.PROBLEM, "lines-0-quantity": "9", "total": "1.00"})
    response = merchant_client.post(url, data)

    assert response.status_code == 302
    order.refresh_from_db()
    line.refresh_from_db()
    assert (order.status, order.total, line.quantity) == (Order.Status.PROBLEM, Decimal("354.92"), 2)


def test_a_local_store_returns_lines_and_refund_are_shown_not_edited(merchant_client, alpha):
    order_return = ReturnFactory(company=alpha.company, channel=Order.Channel.LOCAL_STORE)
    ReturnLineFactory(order_return=order_return, quantity=1, refund_amount=Decimal("11.4860025"))

    html = merchant_client.get(admin_url("return", "change", order_return.pk)).content.decode()

    assert input_values(html, "refund_amount") == [] and input_values(html, "-quantity") == []
    assert "11.4860025" in html and "21.19" in html  # the line's and the return's refund
    assert 'name="lines-MAX_NUM_FORMS" value="0"' in html
    assert 'name="reason"' in html  # the merchant's note on it stays editable


def test_the_product_list_shows_price_and_cost_as_money(merchant_client, alpha):
    ProductFactory(
        company=alpha.company, sku="COST-4", site_price=Decimal("102.99"), site_cost=Decimal("46.9200")
    )

    html = merchant_client.get(admin_url("product", "changelist"), {"q": "COST-4"}).content.decode()

    assert "102.99" in html and "46.92<" in html and "46.9200" not in html
