"""Reset and seed: the `empty` and `demo` datasets, and JSON documents of records."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from integrations.lightspeed_sandbox import clock
from integrations.lightspeed_sandbox.errors import bad_request
from integrations.lightspeed_sandbox.services.catalogue import (
    inventory_counts_seed,
    matrices_bulk_create,
    matrix_attribute_sets,
    matrix_columns,
)
from integrations.lightspeed_sandbox.services.customers import contact_search_columns
from integrations.lightspeed_sandbox.services.items import as_list, to_bool
from integrations.lightspeed_sandbox.services.price_levels import (
    price_level_put,
    price_levels,
    price_levels_ensure,
)
from integrations.lightspeed_sandbox.services.rows import rows_insert
from integrations.lightspeed_sandbox.store import models as m

DEMO_CLIENT_ID = "lightsync-demo"
DEMO_CLIENT_SECRET = "lightsync-demo-secret"  # noqa: S105 - the documented demo client
DEMO_REDIRECT_URI = "http://127.0.0.1:8000/lightspeed/oauth/callback/"
DEMO_LOGIN = ("demo", "demo")
# Every account's built-in payment types (internalReserved), in id order: Cash is the first. The
# docs allow five types (cash, gift card, credit account, credit card, user defined).
PAYMENT_TYPES = (
    ("Cash", "cash"),
    ("Check", "user defined"),
    ("Credit Card", "credit card"),
    ("Gift Card", "gift card"),
    ("Credit Account", "credit account"),
)
SHOP_TAX_RATES = {"America/New_York": Decimal("0.08875"), "America/Chicago": Decimal("0.1025")}
DATA_MODELS = (
    m.Account,
    m.PriceLevel,
    m.ApiClient,
    m.Employee,
    m.Shop,
    m.Register,
    m.PaymentType,
    m.ItemMatrix,
    m.InventoryCount,
    m.Item,
    m.ItemPrice,
    m.ItemShop,
    m.Customer,
    m.Sale,
    m.SaleLine,
    m.SalePayment,
    m.SaleVoid,
    m.AuthCode,
    m.AccessToken,
    m.RefreshToken,
    m.Bucket,
    m.RequestLog,
    m.Fault,
)


@cache
def _password_hash(password: str) -> str:
    # Hashing is deliberately slow; every reset would pay for it again.
    return make_password(password, salt="lightspeedsandbox")


@transaction.atomic
def sandbox_reset() -> None:
    """Everything goes: records, tokens, buckets, faults, the log, and the clock's offset."""
    for model in DATA_MODELS:
        model.objects.all().delete()
    m.SandboxState.objects.update_or_create(pk=1, defaults={"clockOffset": 0.0})
    clock.reset()
    with connection.cursor() as cursor:
        # Ids restart, so a seeded dataset always has the same ids.
        cursor.execute("DELETE FROM sqlite_sequence")


def _account_base(*, account_id: int, name: str, now: datetime, levels: list | None = None) -> None:
    m.Account.objects.update_or_create(accountID=account_id, defaults={"name": name})
    price_levels_ensure(account_id, levels or None)
    m.ApiClient.objects.update_or_create(
        clientID=DEMO_CLIENT_ID,
        defaults={"secret": DEMO_CLIENT_SECRET, "redirectUri": DEMO_REDIRECT_URI, "name": "LightSync demo"},
    )
    for name_, kind in PAYMENT_TYPES:
        m.PaymentType.objects.get_or_create(
            accountID=account_id, name=name_, defaults={"type": kind, "internalReserved": True}
        )


@transaction.atomic
def seed_empty(account_id: int | None = None) -> int:
    """An account with one shop, one register, the owner login and the demo API client: no stock."""
    from integrations.core.demo_catalogue import DEMO_ACCOUNT_ID

    account_id = account_id or DEMO_ACCOUNT_ID
    now = clock.now()
    _account_base(account_id=account_id, name="Sandbox Account", now=now)
    shop = m.Shop.objects.create(
        accountID=account_id, name="Main Shop", timeStamp=now, taxRate=Decimal("0.08875")
    )
    m.Register.objects.create(accountID=account_id, shopID=shop.shopID, name="Register 1", timeStamp=now)
    m.Employee.objects.create(
        accountID=account_id,
        firstName="Dana",
        lastName="Demo",
        username=DEMO_LOGIN[0],
        password=_password_hash(DEMO_LOGIN[1]),
        timeStamp=now,
    )
    return account_id


def items_bulk_create(*, account_id: int, records: list[dict], now: datetime) -> int:
    """Items with their prices and shop rows in a few INSERTs (benchmarks seed 100,000)."""
    shops = list(
        m.Shop.objects.filter(accountID=account_id).values_list("shopID", flat=True).order_by("shopID")
    )
    levels = price_levels(account_id)
    matrix_sets = matrix_attribute_sets(account_id, records)
    next_id = (m.Item.objects.order_by("-itemID").values_list("itemID", flat=True).first() or 0) + 1
    items, prices, stock = [], [], []
    for record in records:
        if not str(record.get("description") or "").strip():
            raise bad_request("Item not created. An Item must have a description.")
        item_id = int(record.get("itemID") or next_id)
        next_id = max(next_id, item_id + 1)
        items.append(
            m.Item(
                itemID=item_id,
                accountID=account_id,
                systemSku=f"21{item_id:010d}",
                customSku=str(record.get("customSku", "")),
                manufacturerSku=str(record.get("manufacturerSku", "")),
                upc=str(record.get("upc", "")),
                ean=str(record.get("ean", "")),
                description=str(record["description"]),
                defaultCost=Decimal(str(record.get("defaultCost", "0"))),
                avgCost=Decimal(str(record.get("defaultCost", "0"))),
                tax=to_bool(record.get("tax", True)),
                archived=to_bool(record.get("archived", False)),
                categoryID=int(record.get("categoryID", 0)),
                createTime=record.get("createTime") or now,
                timeStamp=record.get("timeStamp") or now,
                **matrix_columns(record, item_id, matrix_sets),
            )
        )
        given = {int(p.get("useTypeID", 1)): p for p in as_list(record.get("Prices"), "ItemPrice")}
        for use_type_id in sorted({*levels, *given}):
            amount = Decimal(str(given.get(use_type_id, {}).get("amount", "0")))
            use_type = levels.get(use_type_id, f"Price {use_type_id}")
            prices.append(m.ItemPrice(itemID=item_id, useTypeID=use_type_id, useType=use_type, amount=amount))
        qoh = {int(s["shopID"]): int(s.get("qoh", 0)) for s in as_list(record.get("ItemShops"), "ItemShop")}
        stock.append(
            m.ItemShop(accountID=account_id, itemID=item_id, shopID=0, qoh=sum(qoh.values()), timeStamp=now)
        )
        stock.extend(
            m.ItemShop(accountID=account_id, itemID=item_id, shopID=s, qoh=qoh.get(s, 0), timeStamp=now)
            for s in shops
        )
    rows_insert(m.Item, items)
    rows_insert(m.ItemPrice, prices)
    rows_insert(m.ItemShop, stock)
    return len(items)


def _customer_create(account_id: int, record: dict, now: datetime) -> m.Customer:
    contact = record.get("Contact") or {}
    parts = {
        "Addresses": as_list(contact.get("Addresses"), "ContactAddress"),
        "Emails": as_list(contact.get("Emails"), "ContactEmail"),
        "Phones": as_list(contact.get("Phones"), "ContactPhone"),
    }
    return m.Customer.objects.create(
        customerID=record.get("customerID"),
        accountID=account_id,
        firstName=str(record.get("firstName", "")),
        lastName=str(record.get("lastName", "")),
        company=str(record.get("company", "")),
        title=str(record.get("title", "")),
        archived=to_bool(record.get("archived", False)),
        createTime=now,
        timeStamp=now,
        contact=parts,
        **contact_search_columns(parts),
    )


def _parse_time(value: Any, default: datetime) -> datetime:
    if not value:
        return default
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed


@transaction.atomic
def seed_records(document: dict) -> dict:
    """Adds a JSON document of records: `{"Account": [...], "Shop": [...], "Item": [...], ...}`.

    Records use the API's field names; ids may be given. Shops may carry `Registers`, items
    `ItemShops` (by shopID) and `Prices`, customers a `Contact`, sales `SaleLines` and
    `SalePayments` (created through the same code as `POST Sale`, so stock moves), plus
    `"void": true` to void them afterwards and `"refund": true` to refund them. With
    `"fast": true` plain sales go in by bulk INSERTs (see `services.bulk`), ten times faster.
    An account gets the built-in price levels, or exactly its `priceLevels` ([[id, name], ...]);
    `PriceLevel` records add or change levels (`archived`, `canBeArchived`, `type`). `ItemMatrix`
    records (with `itemAttributeSetID` and `Prices`) go in before the items, which may carry
    `itemMatrixID` and `ItemAttributes`; `InventoryCount` records `{name, shopID, archived}`.
    """
    now = clock.now()
    counts: dict[str, int] = {}
    accounts = document.get("Account") or []
    for record in accounts:
        _account_base(
            account_id=int(record["accountID"]),
            name=str(record.get("name", "Sandbox Account")),
            now=now,
            levels=record.get("priceLevels"),
        )
    default_account = _default_account(document, accounts)
    for record in document.get("ApiClient") or []:
        _api_client_seed(record)
    for record in document.get("PriceLevel") or []:
        price_level_put(int(record.get("accountID", default_account)), record)
    for record in document.get("Shop") or []:
        _shop_seed(record, default_account=default_account, now=now)
    for record in document.get("Register") or []:
        _register_seed(record, default_account=default_account, now=now)
    for record in document.get("Employee") or []:
        _employee_seed(record, default_account=default_account, now=now)
    if document.get("ItemMatrix"):
        counts["ItemMatrix"] = matrices_bulk_create(
            account_id=default_account, records=document["ItemMatrix"], now=now
        )
    inventory_counts_seed(document.get("InventoryCount") or [], default_account=default_account, now=now)
    archived_items: list[int] = []
    if document.get("Item"):
        records, archived_items = _items_unarchived(document["Item"])
        counts["Item"] = items_bulk_create(account_id=default_account, records=records, now=now)
    for record in document.get("Customer") or []:
        _customer_create(int(record.get("accountID", default_account)), record, now)
    _sales_seed(
        document.get("Sale") or [], default_account=default_account, now=now, fast=bool(document.get("fast"))
    )
    m.Item.objects.filter(itemID__in=archived_items).update(archived=True)
    for name in (
        "Account",
        "ApiClient",
        "PriceLevel",
        "Shop",
        "Register",
        "Employee",
        "Customer",
        "Sale",
        "InventoryCount",
    ):
        if document.get(name):
            counts[name] = len(document[name])
    return {"accountID": default_account, "created": counts}


def _default_account(document: dict, accounts: list[dict]) -> int:
    """The document's `accountID`, else its first account's, else the first account seeded."""
    account_id = int(
        document.get("accountID")
        or (accounts[0]["accountID"] if accounts else None)
        or m.Account.objects.order_by("accountID").values_list("accountID", flat=True).first()
        or 0
    )
    if not account_id:
        raise bad_request("Seed an Account first (or send one in the document).")
    return account_id


def _api_client_seed(record: dict) -> None:
    redirect = urlsplit(record.get("redirectUri", ""))
    local = redirect.hostname in ("localhost", "127.0.0.1")
    if redirect.fragment or not (redirect.scheme == "https" or (redirect.scheme == "http" and local)):
        raise bad_request("A redirect URI must be HTTPS (http only for localhost) and have no fragment.")
    m.ApiClient.objects.update_or_create(
        clientID=record["clientID"],
        defaults={
            "secret": record["secret"],
            "redirectUri": record.get("redirectUri", ""),
            "name": record.get("name", ""),
        },
    )


def _shop_seed(record: dict, *, default_account: int, now: datetime) -> None:
    shop = m.Shop.objects.create(
        shopID=record.get("shopID"),
        accountID=int(record.get("accountID", default_account)),
        name=record.get("name", "Shop"),
        timeZone=record.get("timeZone", "America/New_York"),
        taxRate=Decimal(str(record.get("taxRate", "0"))),
        archived=to_bool(record.get("archived", False)),
        timeStamp=now,
    )
    for reg in as_list(record.get("Registers"), "Register"):
        m.Register.objects.create(
            registerID=reg.get("registerID"),
            accountID=shop.accountID,
            shopID=shop.shopID,
            name=reg.get("name", "Register"),
            timeStamp=now,
        )


def _register_seed(record: dict, *, default_account: int, now: datetime) -> None:
    m.Register.objects.create(
        registerID=record.get("registerID"),
        accountID=int(record.get("accountID", default_account)),
        shopID=int(record["shopID"]),
        name=record.get("name", "Register"),
        timeStamp=now,
    )


def _employee_seed(record: dict, *, default_account: int, now: datetime) -> None:
    m.Employee.objects.create(
        employeeID=record.get("employeeID"),
        accountID=int(record.get("accountID", default_account)),
        firstName=record.get("firstName", ""),
        lastName=record.get("lastName", ""),
        lockOut=to_bool(record.get("lockOut", False)),
        archived=to_bool(record.get("archived", False)),
        limitToShopID=int(record.get("limitToShopID", 0)),
        username=record.get("username", ""),
        password=_password_hash(record["password"]) if record.get("password") else "",
        email=record.get("email", ""),
        phone=record.get("phone", ""),
        timeStamp=now,
    )


def _items_unarchived(records: list[dict]) -> tuple[list[dict], list[int]]:
    """The item records with `archived` held back, and the ids to archive once the sales exist.

    An item archived after it was sold must still be sellable while the document's sales go in.
    """
    unarchived, archived_ids = [], []
    for record in records:
        if to_bool(record.get("archived", False)) and record.get("itemID"):
            archived_ids.append(int(record["itemID"]))
            record = {**record, "archived": False}
        unarchived.append(record)
    return unarchived, archived_ids


def _sales_seed(records: list[dict], *, default_account: int, now: datetime, fast: bool) -> None:
    """Each sale through `POST Sale`'s code, refunded and voided as flagged; or in bulk if `fast`."""
    if fast:
        if records:
            from integrations.lightspeed_sandbox.services.bulk import sales_bulk_create

            sales_bulk_create(account_id=default_account, records=records, now=now)
        return
    from integrations.lightspeed_sandbox.services.refunds import refund_in_kind, sale_refund, sale_void
    from integrations.lightspeed_sandbox.services.sales import sale_create

    for record in records:
        when = _parse_time(record.get("completeTime") or record.get("createTime"), now)
        sale = sale_create(
            account_id=int(record.get("accountID", default_account)), data=record, now=when, keep_ids=True
        )
        if to_bool(record.get("refund", False)):
            sale_refund(account_id=sale.accountID, sale_id=sale.saleID, data=refund_in_kind(sale), now=when)
        if to_bool(record.get("void", False)):
            sale_void(account_id=sale.accountID, sale_id=sale.saleID, now=when)
