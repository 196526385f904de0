"""Styles and item matrices against the demo sandbox over real HTTP: STY-CASCADE and STY-BASALT
link to the matrices Lightspeed has, STY-TARN is auto-created as a matrix with its variations in
it (and a variation added later joins it), and a sale of a variation imports with its stock."""

from __future__ import annotations

import pytest

from integrations.commerce.models import Order, Product, StockLevel
from integrations.commerce.services.variations import product_variation_attach
from integrations.lightspeed.jobs.registry import JOBS
from integrations.lightspeed.jobs.runner import job_run
from integrations.lightspeed.models import LightspeedSettings, MatrixLink, ProductLink, SyncIssue, SyncRun
from integrations.lightspeed.tests.pos import Pos, connect_demo

from .catalog_support import product, uploads_not_queued  # noqa: F401 - autouse fixture

pytestmark = pytest.mark.e2e


def run(company, job: str) -> SyncRun:
    done = job_run(company_id=company.pk, job=JOBS[job], sleep=lambda s: None)
    assert done.outcome == SyncRun.Outcome.SUCCEEDED, done.error
    return done


def last_request(server) -> int:
    log = server.requests_log()
    return log[-1]["id"] if log else 0


def posts_since(server, mark: int, resource: str) -> list[dict]:
    return [
        r
        for r in server.requests_log(since=mark)
        if r["method"] == "POST" and r["path"].endswith(f"/{resource}.json")
    ]


@pytest.fixture
def demo(demo_sandbox, point_at, db):
    company = connect_demo(point_at(demo_sandbox))
    return demo_sandbox, company


def test_the_demo_styles_link_to_their_matrices_and_tarn_is_created_as_one(demo):
    server, company = demo
    LightspeedSettings.objects.filter(company=company).update(
        auto_create_enabled_products=True, auto_enable_new_products=True
    )
    tarn = Product.objects.get(company=company, sku="STY-TARN")
    ProductLink.objects.filter(product__company=company).update(enabled=True)
    mark = last_request(server)

    first = run(company, "products")

    links = dict(MatrixLink.objects.filter(company=company).values_list("product__sku", "item_matrix_id"))
    assert links["STY-CASCADE"] == 1 and links["STY-BASALT"] == 2, (links, first.counts)
    assert links["STY-TARN"] not in (None, 1, 2, 3)
    assert not SyncIssue.objects.filter(company=company, kind="matrix_link_conflict").exists()
    matrices = posts_since(server, mark, "ItemMatrix")
    tarn_children = list(tarn.variations.all())
    assert len(matrices) == 1 and first.counts["matrices_created"] == 1
    made = ProductLink.objects.filter(product__in=tarn_children, item_id__isnull=False)
    assert made.count() == len(tarn_children)
    assert set(made.values_list("item_matrix_id", flat=True)) == {links["STY-TARN"]}
    # In Lightspeed: the matrix holds exactly the variations' items, with their values.
    pos = Pos(server)
    held = pos.call("GET", f'ItemMatrix/{links["STY-TARN"]}.json?load_relations=["Items"]')["ItemMatrix"]
    items = held["Items"]["Item"]
    items = items if isinstance(items, list) else [items]
    assert sorted(i["customSku"] for i in items) == sorted(c.sku for c in tarn_children)
    assert held["itemAttributeSetID"] == "1"

    # a variation added later becomes an item in the existing matrix: one request
    later = product(company, "STY-TARN-RUS-XL", title="Tarn Rain Shell Rust XL")
    product_variation_attach(parent=tarn, product=later, values=("Rust", "XL"))
    ProductLink.objects.update_or_create(product=later, defaults={"company": company, "enabled": True})
    mark = last_request(server)

    run(company, "products")

    assert len(posts_since(server, mark, "ItemMatrix")) == 0
    assert len(posts_since(server, mark, "Item")) == 1
    link = ProductLink.objects.get(product=later)
    assert link.item_id and link.item_matrix_id == links["STY-TARN"]


def test_a_sale_of_a_variation_in_a_matrix_imports_with_its_stock(demo):
    server, company = demo
    run(company, "products")
    run(company, "orders")  # the demo's history first
    variation = Product.objects.get(company=company, sku="STY-CASCADE-NAV-M")
    item_id = ProductLink.objects.get(product=variation).item_id
    before = sum(StockLevel.objects.filter(product=variation).values_list("on_hand", flat=True))

    sale = Pos(server).ring_up([item_id])
    run(company, "orders")

    order = Order.objects.get(company=company, channel_order_id=str(sale["saleID"]))
    [line] = order.lines.all()
    assert line.product == variation
    after = sum(StockLevel.objects.filter(product=variation).values_list("on_hand", flat=True))
    assert after == before - 1
