import pytest
from django.db.models import Sum

from integrations.commerce.models import Company, Product, StockLedgerEntry, StockLevel, Warehouse
from integrations.commerce.services.stock import StockError, stock_adjust, stock_set, stock_set_many

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    company = Company.objects.create(name="Acme")
    warehouse = Warehouse.objects.create(company=company, name="Main", code="MAIN", is_default=True)
    product = Product.objects.create(company=company, sku="A-1", title="Anvil")
    return company, warehouse, product


def test_every_stock_change_writes_a_ledger_row_that_sums_to_the_level(shop):
    _, warehouse, product = shop
    stock_adjust(product=product, warehouse=warehouse, quantity_change=10, reason="import")
    stock_adjust(product=product, warehouse=warehouse, quantity_change=-3, reason="order", reference="#1")
    stock_set(product=product, warehouse=warehouse, on_hand=5)

    level = StockLevel.objects.get(product=product, warehouse=warehouse)
    ledger = StockLedgerEntry.objects.filter(product=product, warehouse=warehouse)
    assert level.on_hand == 5
    assert ledger.aggregate(total=Sum("quantity_change"))["total"] == 5
    assert [e.on_hand_after for e in ledger.order_by("id")] == [10, 7, 5]


def test_stock_cannot_move_between_companies(shop):
    _, _, product = shop
    other = Company.objects.create(name="Other")
    foreign = Warehouse.objects.create(company=other, name="Main", code="MAIN")
    with pytest.raises(StockError):
        stock_adjust(product=product, warehouse=foreign, quantity_change=1, reason="adjustment")
    assert not StockLedgerEntry.objects.exists()


def ledger_total(product, warehouse) -> int:
    entries = StockLedgerEntry.objects.filter(product=product, warehouse=warehouse)
    return entries.aggregate(total=Sum("quantity_change"))["total"] or 0


def test_the_ledger_sums_to_the_level_after_any_sequence_of_changes(shop):
    import random

    company, warehouse, product = shop
    second = Warehouse.objects.create(company=company, name="Back", code="BACK")
    rng = random.Random(7)
    for step in range(60):
        target = rng.choice((warehouse, second))
        if rng.random() < 0.3:
            stock_set(
                product=product, warehouse=target, on_hand=rng.randint(0, 50), reference=f"count {step}"
            )
        else:
            stock_adjust(
                product=product,
                warehouse=target,
                quantity_change=rng.randint(-5, 5),
                reason=rng.choice(StockLedgerEntry.Reason.values),
            )
    for target in (warehouse, second):
        level = StockLevel.objects.get(product=product, warehouse=target)
        assert ledger_total(product, target) == level.on_hand
        last = StockLedgerEntry.objects.filter(product=product, warehouse=target).order_by("-id").first()
        assert last.on_hand_after == level.on_hand


def test_a_zero_change_writes_no_ledger_row(shop):
    _, warehouse, product = shop
    stock_adjust(product=product, warehouse=warehouse, quantity_change=0, reason="adjustment")
    stock_set(product=product, warehouse=warehouse, on_hand=0)
    assert not StockLedgerEntry.objects.exists()


@pytest.mark.parametrize("quantity, reason", [(1.5, "adjustment"), (True, "adjustment"), (1, "gift")])
def test_odd_quantities_and_unknown_reasons_are_refused(shop, quantity, reason):
    _, warehouse, product = shop
    with pytest.raises(StockError):
        stock_adjust(product=product, warehouse=warehouse, quantity_change=quantity, reason=reason)
    assert not StockLedgerEntry.objects.exists()


def test_a_failed_transaction_leaves_neither_the_level_nor_the_ledger_changed(shop):
    from django.db import transaction

    _, warehouse, product = shop
    stock_adjust(product=product, warehouse=warehouse, quantity_change=4, reason="import")
    with pytest.raises(RuntimeError), transaction.atomic():
        stock_adjust(product=product, warehouse=warehouse, quantity_change=-1, reason="order")
        raise RuntimeError("the order import failed after taking stock")
    assert StockLevel.objects.get(product=product, warehouse=warehouse).on_hand == 4
    assert ledger_total(product, warehouse) == 4


def test_setting_many_counts_at_once_keeps_the_ledger_whole(shop):
    company, warehouse, product = shop
    second = Warehouse.objects.create(company=company, name="Back", code="BACK")
    other = Product.objects.create(company=company, sku="B-2", title="Bellows")
    stock_adjust(product=product, warehouse=warehouse, quantity_change=5, reason="order")

    changed = stock_set_many(
        counts=[(product, warehouse, 8), (product, second, 0), (other, warehouse, 3), (other, second, 2)],
        reference="count",
    )

    assert changed == 3  # product@second stays 0: a level, no ledger row
    for p, w, expected in (
        (product, warehouse, 8),
        (product, second, 0),
        (other, warehouse, 3),
        (other, second, 2),
    ):
        assert StockLevel.objects.get(product=p, warehouse=w).on_hand == expected
        assert ledger_total(p, w) == expected
    assert (
        StockLedgerEntry.objects.filter(product=product, warehouse=warehouse).latest("id").quantity_change
        == 3
    )


def test_setting_many_counts_refuses_a_foreign_warehouse_and_writes_nothing(shop):
    _, warehouse, product = shop
    foreign = Warehouse.objects.create(company=Company.objects.create(name="Other"), name="Main", code="MAIN")
    with pytest.raises(StockError):
        stock_set_many(counts=[(product, warehouse, 3), (product, foreign, 1)])
    assert not StockLevel.objects.exists()


def test_setting_many_counts_is_a_handful_of_queries(shop, django_assert_max_num_queries):
    company, warehouse, _ = shop
    products = Product.objects.bulk_create(
        Product(company=company, sku=f"N-{n}", title=f"Nail {n}") for n in range(200)
    )
    with django_assert_max_num_queries(8):
        stock_set_many(counts=[(p, warehouse, 5) for p in products])
    assert StockLedgerEntry.objects.count() == 200


@pytest.mark.django_db(transaction=True)
def test_concurrent_adjustments_never_lose_a_change(shop):
    """Row locks serialize writers on PostgreSQL (SQLite serializes whole transactions instead)."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter; run with DATABASE_URL=postgres://...")
    _, warehouse, product = shop
    stock_adjust(product=product, warehouse=warehouse, quantity_change=100, reason="import")
    errors = []

    def take(n: int) -> None:
        try:
            for _ in range(n):
                stock_adjust(product=product, warehouse=warehouse, quantity_change=-1, reason="order")
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=take, args=(20,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert StockLevel.objects.get(product=product, warehouse=warehouse).on_hand == 20
    afters = list(StockLedgerEntry.objects.filter(reason="order").values_list("on_hand_after", flat=True))
    assert sorted(afters) == list(range(20, 100))


def test_the_ledger_check_finds_a_level_written_behind_the_services_back(shop):
    from integrations.commerce.selectors import stock_ledger_mismatches

    company, warehouse, product = shop
    stock_adjust(product=product, warehouse=warehouse, quantity_change=6, reason="import")
    assert stock_ledger_mismatches() == []
    StockLevel.objects.filter(product=product).update(on_hand=9)
    [mismatch] = stock_ledger_mismatches(company=company)
    assert (mismatch.on_hand, mismatch.ledger_total) == (9, 6)
    assert stock_ledger_mismatches(company=Company.objects.create(name="Elsewhere")) == []
