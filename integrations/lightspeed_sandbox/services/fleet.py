"""Many accounts at once (`POST /_sandbox/accounts`): a fleet of merchants for scale benchmarks.

Each account is a complete merchant of its own — shops, registers (so its own leaky bucket, sized
and dripping from its register count as at Lightspeed), an owner and shop clerks, items with a
price per level and stock in every shop, payment types, its own API client — and optionally a
token pair, so a benchmark connects hundreds of companies without the OAuth pages.

Every table is written by one INSERT (`rows.rows_insert`) and ids are numbered on from the highest
in use, so one call costs the same handful of queries whatever the count.
Fleet accounts are numbered from `FLEET_FIRST_ID` on; the owner of account N logs in as
`owner-N` with the password `fleet`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max

from integrations.lightspeed_sandbox import clock
from integrations.lightspeed_sandbox.errors import bad_request
from integrations.lightspeed_sandbox.services import datasets, oauth
from integrations.lightspeed_sandbox.services.price_levels import BUILT_IN
from integrations.lightspeed_sandbox.services.rows import rows_insert
from integrations.lightspeed_sandbox.store import models as m

FLEET_FIRST_ID = 200001
FLEET_PASSWORD = "fleet"  # noqa: S105 - the documented sandbox login of every fleet owner
MAX_ACCOUNTS = 5000  # per call: a benchmark asks for hundreds
ITEM_PRICE = Decimal("19.99")
ITEM_COST = Decimal("8.00")


@dataclass(frozen=True)
class FleetSpec:
    """What each new account gets."""

    count: int
    shops: int = 2
    registers_per_shop: int = 1
    clerks_per_shop: int = 1
    items: int = 20
    qoh: int = 10
    client_id: str = ""
    client_secret: str = ""
    redirect_uri: str = datasets.DEMO_REDIRECT_URI
    tokens: bool = True
    scope: str = "employee:all"

    @classmethod
    def from_json(cls, data: dict) -> FleetSpec:
        def number(name: str, default: int, low: int, high: int) -> int:
            value = data.get(name, default)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise bad_request(f"{name} must be a whole number from {low} to {high}.")
            return value

        tokens = data.get("tokens", True)
        if not isinstance(tokens, bool):
            raise bad_request("tokens must be true or false.")
        return cls(
            count=number("count", 1, 1, MAX_ACCOUNTS),
            shops=number("shops", 2, 1, 50),
            registers_per_shop=number("registers_per_shop", 1, 1, 20),
            clerks_per_shop=number("clerks_per_shop", 1, 0, 20),
            items=number("items", 20, 0, 100_000),
            qoh=number("qoh", 10, 0, 1_000_000),
            client_id=str(data.get("client_id") or ""),
            client_secret=str(data.get("client_secret") or ""),
            redirect_uri=str(data.get("redirect_uri") or datasets.DEMO_REDIRECT_URI),
            tokens=tokens,
            scope=oauth.scope_check(str(data.get("scope", "employee:all"))),
        )


def _next_id(model: type, field: str, floor: int = 0) -> int:
    return max((model.objects.aggregate(top=Max(field))["top"] or 0), floor) + 1


def fleet_client_id(account_id: int) -> str:
    return f"fleet-{account_id}"


@transaction.atomic
def accounts_create(spec: FleetSpec) -> list[dict]:
    """Adds `spec.count` accounts after the highest account id (from FLEET_FIRST_ID); returns them."""
    now = clock.now()
    first = _next_id(m.Account, "accountID", floor=FLEET_FIRST_ID - 1)
    account_ids = list(range(first, first + spec.count))
    next_shop = _next_id(m.Shop, "shopID")
    next_employee = _next_id(m.Employee, "employeeID")
    next_item = _next_id(m.Item, "itemID")
    password = datasets._password_hash(FLEET_PASSWORD)

    accounts, levels, payment_types, shops, registers, employees = [], [], [], [], [], []
    items, prices, stock = [], [], []
    made: list[dict] = []
    for account_id in account_ids:
        accounts.append(m.Account(accountID=account_id, name=f"Fleet Merchant {account_id}"))
        levels += [
            m.PriceLevel(accountID=account_id, priceLevelID=level_id, name=name, canBeArchived=False)
            for level_id, name in BUILT_IN
        ]
        payment_types += [
            m.PaymentType(accountID=account_id, name=name, type=kind, internalReserved=True)
            for name, kind in datasets.PAYMENT_TYPES
        ]
        shop_ids = list(range(next_shop, next_shop + spec.shops))
        next_shop += spec.shops
        owner_id = next_employee
        employees.append(
            m.Employee(
                employeeID=owner_id,
                accountID=account_id,
                firstName="Owner",
                lastName=str(account_id),
                username=f"owner-{account_id}",
                password=password,
                timeStamp=now,
            )
        )
        next_employee += 1
        next_employee = _shop_rows(
            spec,
            account_id,
            shop_ids,
            next_employee,
            now,
            shops=shops,
            registers=registers,
            employees=employees,
        )
        for i in range(1, spec.items + 1):
            item_id = next_item
            next_item += 1
            items.append(
                _item(account_id, item_id, f"Fleet item {i} of {account_id}", f"F{account_id}-{i:05d}", now)
            )
            prices += _prices(item_id, ITEM_PRICE + i % 7)
            stock += _stock(account_id, item_id, shop_ids, spec.qoh, now)
        made.append(
            {
                "accountID": account_id,
                "clientID": spec.client_id or fleet_client_id(account_id),
                "shopIDs": shop_ids,
                "ownerEmployeeID": owner_id,
            }
        )

    clients = _clients(spec, account_ids)
    rows_insert(m.Account, accounts)
    rows_insert(m.PriceLevel, levels)
    rows_insert(m.PaymentType, payment_types)
    rows_insert(m.ApiClient, clients)
    rows_insert(m.Shop, shops)
    rows_insert(m.Register, registers)
    rows_insert(m.Employee, employees)
    rows_insert(m.Item, items)
    rows_insert(m.ItemPrice, prices)
    rows_insert(m.ItemShop, stock)
    _credentials_add(spec, made, clients)
    return made


def _credentials_add(spec: FleetSpec, made: list[dict], clients: list[m.ApiClient]) -> None:
    """Each account's client secret and, if asked for, a token pair minted in bulk."""
    secrets_by_client = {c.clientID: c.secret for c in clients}
    if spec.client_id and spec.client_id not in secrets_by_client:
        secrets_by_client[spec.client_id] = (
            m.ApiClient.objects.filter(clientID=spec.client_id).values_list("secret", flat=True).first() or ""
        )
    for entry in made:
        entry["clientSecret"] = secrets_by_client[entry["clientID"]]
    if spec.tokens:
        pairs = oauth.tokens_mint_bulk(
            [(e["accountID"], e["clientID"], e["ownerEmployeeID"]) for e in made], scope=spec.scope
        )
        for entry, pair in zip(made, pairs, strict=True):
            entry.update(pair)


def _shop_rows(
    spec: FleetSpec,
    account_id: int,
    shop_ids: list[int],
    next_employee: int,
    now: datetime,
    *,
    shops: list,
    registers: list,
    employees: list,
) -> int:
    """Adds each shop with its registers and clerks to the lists; returns the next employee id."""
    for s, shop_id in enumerate(shop_ids, start=1):
        shops.append(
            m.Shop(
                shopID=shop_id,
                accountID=account_id,
                name=f"Shop {s}",
                taxRate=Decimal("0.08875"),
                timeStamp=now,
            )
        )
        registers += [
            m.Register(accountID=account_id, shopID=shop_id, name=f"Register {s}-{r}", timeStamp=now)
            for r in range(1, spec.registers_per_shop + 1)
        ]
        for c in range(1, spec.clerks_per_shop + 1):
            employees.append(
                m.Employee(
                    employeeID=next_employee,
                    accountID=account_id,
                    firstName=f"Clerk {s}-{c}",
                    lastName=str(account_id),
                    limitToShopID=shop_id,
                    timeStamp=now,
                )
            )
            next_employee += 1
    return next_employee


def _clients(spec: FleetSpec, account_ids: list[int]) -> list[m.ApiClient]:
    """One client per account, or the one named client (created unless it exists)."""
    if spec.client_id:
        if m.ApiClient.objects.filter(clientID=spec.client_id).exists():
            return []
        return [
            m.ApiClient(
                clientID=spec.client_id,
                secret=spec.client_secret or f"{spec.client_id}-secret",
                redirectUri=spec.redirect_uri,
                name=spec.client_id,
            )
        ]
    return [
        m.ApiClient(
            clientID=fleet_client_id(account_id),
            secret=f"{fleet_client_id(account_id)}-secret",
            redirectUri=spec.redirect_uri,
            name=f"Fleet client {account_id}",
        )
        for account_id in account_ids
    ]


def _item(account_id: int, item_id: int, description: str, sku: str, now: datetime) -> m.Item:
    return m.Item(
        itemID=item_id,
        accountID=account_id,
        systemSku=f"21{item_id:010d}",
        customSku=sku,
        upc=f"{item_id:012d}",
        description=description,
        defaultCost=ITEM_COST,
        avgCost=ITEM_COST,
        createTime=now,
        timeStamp=now,
    )


def _prices(item_id: int, price: Decimal) -> list[m.ItemPrice]:
    return [
        m.ItemPrice(itemID=item_id, useTypeID=level_id, useType=name, amount=price if level_id != 2 else 0)
        for level_id, name in BUILT_IN
    ]


def _stock(account_id: int, item_id: int, shop_ids: list[int], qoh: int, now: datetime) -> list[m.ItemShop]:
    rows = [
        m.ItemShop(accountID=account_id, itemID=item_id, shopID=0, qoh=qoh * len(shop_ids), timeStamp=now)
    ]
    rows += [
        m.ItemShop(accountID=account_id, itemID=item_id, shopID=shop_id, qoh=qoh, timeStamp=now)
        for shop_id in shop_ids
    ]
    return rows


def fleet_account_ids(which: object) -> list[int]:
    """`"fleet"` (ids from FLEET_FIRST_ID), `"all"`, or a list of existing account ids."""
    accounts = m.Account.objects.order_by("accountID")
    if which == "fleet":
        return list(accounts.filter(accountID__gte=FLEET_FIRST_ID).values_list("accountID", flat=True))
    if which == "all":
        return list(accounts.values_list("accountID", flat=True))
    if (
        isinstance(which, list)
        and which
        and all(isinstance(a, int) and not isinstance(a, bool) for a in which)
    ):
        known = set(accounts.filter(accountID__in=which).values_list("accountID", flat=True))
        missing = [a for a in which if a not in known]
        if missing:
            raise bad_request(f"No such accounts: {missing[:10]}.")
        return list(dict.fromkeys(which))
    raise bad_request('accounts is "fleet", "all" or a list of account ids.')


def accounts_page(*, offset: int, limit: int) -> dict:
    """A page of accounts with their shop, register, item and employee counts (5 queries)."""
    if offset < 0 or not 1 <= limit <= 1000:
        raise bad_request("offset must be 0 or more and limit from 1 to 1000.")
    total = m.Account.objects.count()
    page = list(
        m.Account.objects.order_by("accountID").values_list("accountID", "name")[offset : offset + limit]
    )
    ids = [account_id for account_id, _ in page]

    def counts(model: type) -> dict[int, int]:
        rows = model.objects.filter(accountID__in=ids).values("accountID").annotate(n=Count("pk"))
        return {row["accountID"]: row["n"] for row in rows}

    shops, registers, items = counts(m.Shop), counts(m.Register), counts(m.Item)
    limits = _limits(registers)
    return {
        "total": total,
        "offset": offset,
        "limit": limit,
        "next": offset + limit if offset + limit < total else None,
        "accounts": [
            {
                "accountID": account_id,
                "name": name,
                "shops": shops.get(account_id, 0),
                "registers": registers.get(account_id, 0),
                "items": items.get(account_id, 0),
                "bucketSize": limits(account_id)[0],
                "dripRate": limits(account_id)[1],
            }
            for account_id, name in page
        ],
    }


def _limits(registers: dict[int, int]):
    # The same arithmetic as ratelimit.limits_for, from counts already read (no query per account).
    def limits(account_id: int) -> tuple[float, float]:
        extra = max(registers.get(account_id, 0) - 1, 0)
        return settings.SANDBOX_BUCKET_SIZE + 10 * extra, settings.SANDBOX_DRIP_RATE + 0.5 * extra

    return limits


def tokens_remint(*, which: object, scope: str, client_id: str = "") -> list[dict]:
    """A fresh token pair for each chosen account, as its owner, with its fleet client (or `client_id`)."""
    scope = oauth.scope_check(scope)
    account_ids = fleet_account_ids(which)
    owners: dict[int, int] = {}
    for account_id, employee_id in (
        m.Employee.objects.filter(accountID__in=account_ids, limitToShopID=0, archived=False)
        .order_by("-employeeID")
        .values_list("accountID", "employeeID")
    ):
        owners[account_id] = employee_id  # the lowest id wins: ordered from the highest
    clients = set(
        m.ApiClient.objects.filter(clientID__startswith="fleet-").values_list("clientID", flat=True)
    )
    pairs = []
    for account_id in account_ids:
        client = client_id or fleet_client_id(account_id)
        if not client_id and client not in clients:
            client = datasets.DEMO_CLIENT_ID  # an account not made by the fleet call
        pairs.append((account_id, client, owners.get(account_id, 0)))
    if client_id and not m.ApiClient.objects.filter(clientID=client_id).exists():
        raise bad_request(f"No API client {client_id}.")
    minted = oauth.tokens_mint_bulk(pairs, scope=scope)
    return [
        {"accountID": account_id, "clientID": client, **pair}
        for (account_id, client, _), pair in zip(pairs, minted, strict=True)
    ]
