# ruff: noqa: F811 - the shared fixtures are imported, then named as parameters
"""Admin pages of the order download: sales with their orders, unmatched items mapped by ops staff."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.urls import reverse

from integrations.commerce.models import Company, Order, User
from integrations.commerce.roles import OPS_STAFF
from integrations.lightspeed.models import SyncIssue
from integrations.lightspeed.models.orders import LightspeedSale
from integrations.lightspeed.tests.orders_helpers import item, line, mock_sales, product, sale
from integrations.lightspeed.tests.test_orders_import import run_orders, shop_setup  # noqa: F401


def test_the_merchant_sees_their_sales_with_links_to_orders_and_not_other_companies(
    shop_setup, mocked_lightspeed, client
):
    company = shop_setup["settings"].company
    mock_sales(mocked_lightspeed, [sale(951, [line(None)])])
    run_orders(company)
    other = Company.objects.create(name="Other Co")
    LightspeedSale.objects.create(company=other, sale_id=99999, state="imported")
    merchant = User.objects.create_user("m", password="pw", company=company, is_staff=True)
    merchant.groups.add(Group.objects.get(name="Merchants"))
    client.force_login(merchant)

    page = client.get(reverse("admin:lightspeed_lightspeedsale_changelist"))

    assert page.status_code == 200
    order = Order.objects.get(channel_order_id="951")
    assert reverse("admin:commerce_order_change", args=[order.pk]).encode() in page.content
    assert b"99999" not in page.content
    assert b"America/New_York" in page.content


def test_ops_staff_map_an_unmatched_item_to_a_product_from_its_page(shop_setup, mocked_lightspeed, client):
    company = shop_setup["settings"].company
    mock_sales(mocked_lightspeed, [sale(952, [line(item(88, sku="LS-88"))])])
    run_orders(company)
    issue = SyncIssue.objects.get(kind="unmatched_item")
    target = product(company, "EIGHTY-EIGHT")
    ops = User.objects.create_user("ops", password="pw", is_staff=True)
    ops.groups.add(Group.objects.get(name=OPS_STAFF))
    client.force_login(ops)
    url = reverse("admin:lightspeed_unmatcheditem_change", args=[issue.pk])

    assert client.get(url).status_code == 200
    response = client.post(url, {"product": target.pk})

    assert response.status_code == 302
    assert Order.objects.get().lines.get().product == target
    issue.refresh_from_db()
    assert issue.status == SyncIssue.Status.RESOLVED


def test_mapping_to_a_product_linked_to_another_item_is_refused_on_the_form(
    shop_setup, mocked_lightspeed, client
):
    from integrations.lightspeed.models.catalog import ProductLink

    company = shop_setup["settings"].company
    mock_sales(mocked_lightspeed, [sale(953, [line(item(89, sku="LS-89"))])])
    run_orders(company)
    issue = SyncIssue.objects.get(kind="unmatched_item")
    taken = product(company, "TAKEN")
    ProductLink.objects.create(company=company, product=taken, item_id=5)
    ops = User.objects.create_user("ops", password="pw", is_staff=True)
    ops.groups.add(Group.objects.get(name=OPS_STAFF))
    client.force_login(ops)

    response = client.post(
        reverse("admin:lightspeed_unmatcheditem_change", args=[issue.pk]), {"product": taken.pk}
    )

    assert response.status_code == 200
    assert b"already linked to Lightspeed item 5" in response.content
    assert Order.objects.get().lines.get().product is None
