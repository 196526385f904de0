"""The catalog's admin: enabled filter and actions on products, the drift report, Preview upload."""

from __future__ import annotations

import pytest
from django.urls import reverse

from integrations.commerce.tests.factories import MerchantFactory
from integrations.lightspeed.models import ItemShopState, ProductLink, StockDrift

from .catalog_support import link, product, shop, stock, uploads_not_queued, uploads_on, warehouse  # noqa: F401 - autouse fixture


@pytest.fixture
def store(connected):
    main = warehouse(connected.company, "Main")
    downtown = shop(connected.company, 1, "Downtown", main)
    return uploads_on(connected), main, downtown


@pytest.fixture
def merchant_client(client, store):
    settings_obj, _, _ = store
    client.force_login(MerchantFactory(company=settings_obj.company))
    return client


def test_merchants_filter_products_by_lightspeed_and_enable_them_in_bulk(merchant_client, store):
    settings_obj, _, _ = store
    shirt, socks = product(settings_obj.company, "SHIRT"), product(settings_obj.company, "SOCKS")
    url = reverse("admin:commerce_product_changelist")

    response = merchant_client.post(
        url, {"action": "enable_for_lightspeed", "_selected_action": [shirt.pk, socks.pk]}, follow=True
    )

    assert "2 product(s) enabled for Lightspeed." in response.content.decode()
    assert set(ProductLink.objects.filter(enabled=True).values_list("product__sku", flat=True)) == {
        "SHIRT",
        "SOCKS",
    }
    merchant_client.post(url, {"action": "disable_for_lightspeed", "_selected_action": [socks.pk]})
    listed = merchant_client.get(url, {"lightspeed": "enabled"})
    assert [p.sku for p in listed.context["cl"].result_list] == ["SHIRT"]


def test_the_product_list_says_which_lightspeed_item_each_product_goes_to_without_a_query_per_row(
    merchant_client, store, django_assert_max_num_queries
):
    settings_obj, _, _ = store
    company = settings_obj.company
    link(product(company, "SHIRT"), 501)
    ProductLink.objects.create(company=company, product=product(company, "SOCKS"), enabled=True)
    product(company, "HAT")
    link(product(company, "BELT"), 502, enabled=False)
    for n in range(20):
        link(product(company, f"EXTRA-{n}"), 600 + n)
    url = reverse("admin:commerce_product_changelist")

    merchant_client.get(url)  # warm the session and content types
    with django_assert_max_num_queries(12):
        page = merchant_client.get(url, {"q": ""})
    shown = {p.sku: p for p in page.context["cl"].result_list}

    html = page.content.decode()
    assert '<th scope="col" class="column-lightspeed_state">' in html
    assert (
        "item 501" in html and "enabled, not in Lightspeed yet" in html and "not enabled (item 502)" in html
    )
    assert "lightspeed_link" in shown["SHIRT"]._state.fields_cache  # came with the list, not per row


def test_the_product_list_shows_a_style_as_its_matrix_and_finds_it_among_the_not_yet_in_lightspeed(
    merchant_client, store
):
    from integrations.commerce.services.variations import product_parent_create
    from integrations.lightspeed.models import MatrixLink

    company = store[0].company
    linked = product_parent_create(
        company=company, sku="STY-LINKED", title="Linked", attribute_names=("Size",)
    )
    waiting = product_parent_create(
        company=company, sku="STY-WAITING", title="Waiting", attribute_names=("Size",)
    )
    for style in (linked, waiting):
        ProductLink.objects.update_or_create(company=company, product=style, defaults={"enabled": True})
    MatrixLink.objects.create(company=company, product=linked, item_matrix_id=7)
    ProductLink.objects.create(company=company, product=product(company, "SOCKS"), enabled=True)
    url = reverse("admin:commerce_product_changelist")

    html = merchant_client.get(url).content.decode()
    unlinked = merchant_client.get(url, {"lightspeed": "unlinked"}).context["cl"].result_list

    assert "matrix 7" in html and "enabled, matrix not in Lightspeed yet" in html
    assert sorted(p.sku for p in unlinked) == ["SOCKS", "STY-WAITING"]


def test_a_merchant_cannot_enable_another_companys_products(merchant_client, store):
    from integrations.commerce.tests.factories import CompanyFactory

    other = product(CompanyFactory(), "THEIRS")
    merchant_client.post(
        reverse("admin:commerce_product_changelist"),
        {"action": "enable_for_lightspeed", "_selected_action": [other.pk]},
    )
    assert not ProductLink.objects.filter(product=other).exists()


def test_pushing_a_drift_clears_the_hold_and_queues_an_upload(
    merchant_client, store, monkeypatch, django_capture_on_commit_callbacks
):
    settings_obj, main, downtown = store
    from integrations.lightspeed import tasks

    queued = []
    monkeypatch.setattr(tasks.lightspeed_upload_changed, "apply_async", lambda *a, **kw: queued.append(a))
    belt = product(settings_obj.company, "BELT")
    pl = link(belt, 401, seen={downtown: 9})
    from django.utils import timezone

    ItemShopState.objects.filter(link=pl).update(moved_at=timezone.now())
    drift = StockDrift.objects.create(
        company=settings_obj.company, link=pl, shop=downtown, lightsync_qoh=5, lightspeed_qoh=9
    )
    page = merchant_client.get(reverse("admin:lightspeed_stockdrift_changelist"))
    assert "BELT" in page.content.decode() and "+4" in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        merchant_client.post(
            reverse("admin:lightspeed_stockdrift_changelist"),
            {"action": "push", "_selected_action": [drift.pk]},
        )

    drift.refresh_from_db()
    assert drift.status == StockDrift.Status.PUSHED
    assert ItemShopState.objects.get(link=pl).moved_at is None
    assert ProductLink.objects.get(pk=pl.pk).upload_due_at is not None
    assert queued == [((settings_obj.company_id,),)]


def test_preview_upload_lists_what_would_be_sent_for_the_merchants_company_only(merchant_client, store):
    settings_obj, main, downtown = store
    vest = product(settings_obj.company, "VEST")
    stock(vest, main, 2)
    link(vest, 402, seen={downtown: 5})
    from integrations.commerce.tests.factories import CompanyFactory

    other_company = CompanyFactory()
    theirs = product(other_company, "THEIRS")
    link(theirs, 403)

    page = merchant_client.get(reverse("admin:lightspeed_uploadpreview_changelist")).content.decode()

    assert "VEST" in page and "@ Downtown: qoh 5 → 2" in page
    assert "THEIRS" not in page


def test_linking_a_product_to_another_item_by_hand_forgets_what_the_old_item_held(merchant_client, store):
    settings_obj, main, downtown = store
    boots = product(settings_obj.company, "BOOTS")
    stock(boots, main, 5)
    old = link(boots, 301, seen={downtown: 5})  # the old item holds what LightSync has: nothing to send
    url = reverse("admin:lightspeed_productlink_change", args=[old.pk])
    form = merchant_client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update(item_id="302", enabled="on")

    response = merchant_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    relinked = ProductLink.objects.get(pk=old.pk)
    assert relinked.item_id == 302 and relinked.matched_by == ProductLink.MatchedBy.MANUAL
    # Nothing is known of item 302 yet: the next upload reads it and sends what differs.
    assert not ItemShopState.objects.filter(link=relinked).exists()
    assert (relinked.price_seen, relinked.cost_seen) == (None, None)
    assert relinked.upload_due_at is not None
