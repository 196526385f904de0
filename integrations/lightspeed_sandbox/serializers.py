"""Records as Lightspeed renders them, relations loaded in one query per relation per page."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from integrations.lightspeed_sandbox.fields import (
    CUSTOMER_FIELDS,
    ITEM_FIELDS,
    ITEM_SHOP_FIELDS,
    ITEM_SHOP_UNMODELLED,
    SALE_FIELDS,
    SALE_LINE_FIELDS,
    SALE_PAYMENT_FIELDS,
)
from integrations.lightspeed_sandbox.render import api_str, api_time, put_relation, relation, stringify
from integrations.lightspeed_sandbox.serializers_catalog import (
    attribute_sets,
    item_attributes_record,
    payment_type_record,
)
from integrations.lightspeed_sandbox.store.models import (
    Customer,
    Employee,
    Item,
    ItemPrice,
    ItemShop,
    PaymentType,
    PriceLevel,
    Register,
    Sale,
    SaleLine,
    SalePayment,
    SaleVoid,
    Shop,
)


def _fields(obj: object, names: Iterable[str], extra: dict | None = None) -> dict:
    extra = extra or {}
    out = {}
    for name in names:
        value = extra[name] if name in extra else getattr(obj, name, None)
        out[name] = api_str(value if value is not None or name in extra else _default(name))
    return out


def _default(name: str) -> str:
    if name.endswith("ID") or name in ("ccChargeID",):
        return "0"
    return ""


def _nested(relations: set[str], name: str) -> set[str]:
    prefix = name + "."
    return {r[len(prefix) :] for r in relations if r.startswith(prefix)}


# --- Account, Shop, Register, Employee ---------------------------------------------------------


def account_record(account, *, legacy: bool) -> dict:
    href = f"/API/Account/{account.accountID}" if legacy else f"/API/V3/Account/{account.accountID}"
    return {
        "accountID": str(account.accountID),
        "name": account.name,
        "link": {"@attributes": {"href": href}},
    }


def contact_record(
    *, contact_id: int, addresses: list[dict], phones: list[dict], emails: list[dict], time_stamp
) -> dict:
    contact = {
        "contactID": str(contact_id),
        "custom": "",
        "noEmail": "false",
        "noPhone": "false",
        "noMail": "false",
    }
    contact["Addresses"] = relation("ContactAddress", [stringify(a) for a in addresses], "")
    contact["Phones"] = relation("ContactPhone", [stringify(p) for p in phones], "")
    contact["Emails"] = relation("ContactEmail", [stringify(e) for e in emails], "")
    contact["Websites"] = ""
    contact["timeStamp"] = api_time(time_stamp)
    return contact


def render_registers(rows: list[Register], relations: set[str]) -> list[dict]:
    out = []
    for r in rows:
        out.append(
            {
                "registerID": str(r.registerID),
                "name": r.name,
                "open": "false",
                "openTime": "",
                "openEmployeeID": "0",
                "archived": api_str(r.archived),
                "shopID": str(r.shopID),
                "ccTerminalID": "0",
                "timeStamp": api_time(r.timeStamp),
            }
        )
    if "Shop" in relations and rows:
        shops = {s.shopID: s for s in Shop.objects.filter(shopID__in={r.shopID for r in rows})}
        for record, r in zip(out, rows, strict=True):
            if r.shopID in shops:
                record["Shop"] = render_shops([shops[r.shopID]], set())[0]
    return out


def render_shops(rows: list[Shop], relations: set[str]) -> list[dict]:
    out = []
    registers: dict[int, list[Register]] = defaultdict(list)
    if "Registers" in relations and rows:
        for reg in Register.objects.filter(shopID__in=[s.shopID for s in rows]).order_by("registerID"):
            registers[reg.shopID].append(reg)
    for s in rows:
        record = {
            "shopID": str(s.shopID),
            "name": s.name,
            "serviceRate": "0",
            "timeZone": s.timeZone,
            "taxLabor": "false",
            "labelTitle": "Shop Name",
            "labelMsrp": "false",
            "archived": api_str(s.archived),
            "timeStamp": api_time(s.timeStamp),
            "companyRegistrationNumber": "",
            "vatNumber": "",
            "contactID": str(s.shopID),
            "taxCategoryID": "1",
            "receiptSetupID": "1",
            "ccGatewayID": "0",
            "priceLevelID": "1",
        }
        if "Contact" in relations:
            addresses = (
                [
                    {
                        "address1": s.address1,
                        "city": s.city,
                        "state": s.state,
                        "zip": s.zip,
                        "country": s.country,
                    }
                ]
                if s.address1
                else []
            )
            phones = [{"number": s.phone, "useType": "Work"}] if s.phone else []
            record["Contact"] = contact_record(
                contact_id=s.shopID, addresses=addresses, phones=phones, emails=[], time_stamp=s.timeStamp
            )
        if "Registers" in relations:
            put_relation(record, "Registers", "Register", render_registers(registers[s.shopID], set()))
        out.append(record)
    return out


def render_employees(rows: list[Employee], relations: set[str]) -> list[dict]:
    out = []
    for e in rows:
        record = {
            "employeeID": str(e.employeeID),
            "firstName": e.firstName,
            "lastName": e.lastName,
            "accessPin": "",
            "lockOut": api_str(e.lockOut),
            "archived": api_str(e.archived),
            "timeStamp": api_time(e.timeStamp),
            "contactID": str(e.employeeID),
            "clockInEmployeeHoursID": "0",
            "employeeRoleID": "4" if e.limitToShopID == 0 else "2",
            "limitToShopID": str(e.limitToShopID),
            "lastShopID": str(e.limitToShopID or 1),
            "lastSaleID": "0",
            "lastRegisterID": "0",
        }
        if "Contact" in relations:
            emails = [{"address": e.email, "useType": "Primary"}] if e.email else []
            phones = [{"number": e.phone, "useType": "Work"}] if e.phone else []
            record["Contact"] = contact_record(
                contact_id=e.employeeID, addresses=[], phones=phones, emails=emails, time_stamp=e.timeStamp
            )
        out.append(record)
    return out


# --- Items ------------------------------------------------------------------------------------


def item_shop_record(row: ItemShop) -> dict:
    record = _fields(
        row, ITEM_SHOP_FIELDS, {"sellable": max(row.qoh, 0), **dict.fromkeys(ITEM_SHOP_UNMODELLED, 0)}
    )
    # The documented payload carries the reservations under "m" as well: be lenient when reading.
    record["m"] = {"layaways": str(row.onLayaway), "specialorders": "0", "workorders": str(row.onWorkorder)}
    return record


def render_item_shops(rows: list[ItemShop], relations: set[str]) -> list[dict]:
    out = [item_shop_record(r) for r in rows]
    if "Item" in relations and rows:
        items = {i.itemID: i for i in Item.objects.filter(itemID__in={r.itemID for r in rows})}
        rendered = {i["itemID"]: i for i in render_items(list(items.values()), set())}
        for record in out:
            if record["itemID"] in rendered:
                record["Item"] = rendered[record["itemID"]]
    return out


def render_price_levels(rows: list[PriceLevel], relations: set[str]) -> list[dict]:
    # Calculation: the parameters of a calculated level; the sandbox's levels are all fixed.
    return [
        {**_fields(r, ("priceLevelID", "name", "archived", "canBeArchived", "type")), "Calculation": ""}
        for r in rows
    ]


def render_items(rows: list[Item], relations: set[str]) -> list[dict]:
    ids = [i.itemID for i in rows]
    # useType is the level's name now, so a renamed level shows its new name on every item.
    names = {
        (account, level): name
        for account, level, name in PriceLevel.objects.filter(
            accountID__in={i.accountID for i in rows}
        ).values_list("accountID", "priceLevelID", "name")
    }
    account_of = {i.itemID: i.accountID for i in rows}
    prices: dict[int, list[dict]] = defaultdict(list)
    for p in ItemPrice.objects.filter(itemID__in=ids).order_by("itemID", "useTypeID"):
        use_type = names.get((account_of[p.itemID], p.useTypeID), p.useType)
        prices[p.itemID].append(
            {"amount": api_str(p.amount), "useTypeID": str(p.useTypeID), "useType": use_type}
        )
    shops: dict[int, list[dict]] = defaultdict(list)
    if "ItemShops" in relations and ids:
        # Lightspeed lists the shop rows before the account-wide shopID 0 row.
        for s in ItemShop.objects.filter(itemID__in=ids).order_by("itemID", "-itemShopID"):
            shops[s.itemID].append(item_shop_record(s))
    sets = None
    if "ItemAttributes.ItemAttributeSet" in relations and rows:
        sets = attribute_sets({i.accountID for i in rows})
    out = []
    for i in rows:
        record = _fields(i, ITEM_FIELDS)
        if "ItemAttributes" in relations and i.itemAttributesID:
            # Only items in (or once in) a matrix have ItemAttributes; their values may be empty.
            record["ItemAttributes"] = item_attributes_record(i, sets)
        if "ItemShops" in relations:
            put_relation(record, "ItemShops", "ItemShop", shops[i.itemID])
        put_relation(record, "Prices", "ItemPrice", prices[i.itemID])
        out.append(record)
    return out


# --- Customers --------------------------------------------------------------------------------


def render_customers(rows: list[Customer], relations: set[str]) -> list[dict]:
    out = []
    for c in rows:
        record = _fields(
            c,
            CUSTOMER_FIELDS,
            {"dob": "", "creditAccountID": "0", "customerTypeID": "0", "contactID": c.customerID},
        )
        if "Contact" in relations:
            contact = c.contact or {}
            record["Contact"] = contact_record(
                contact_id=c.customerID,
                addresses=contact.get("Addresses", []),
                phones=contact.get("Phones", []),
                emails=contact.get("Emails", []),
                time_stamp=c.timeStamp,
            )
        if "Tags" in relations:
            record["Tags"] = ""  # the sandbox keeps no customer tags: Lightspeed's empty relation
        out.append(record)
    return out


# --- Sales ------------------------------------------------------------------------------------


def _line_items(rows: list[SaleLine], relations: set[str]) -> dict[str, dict]:
    """The Item records the lines carry (`SaleLines.Item`), itemID → record, in one read."""
    if "Item" not in relations or not rows:
        return {}
    item_rows = list(Item.objects.filter(itemID__in={r.itemID for r in rows if r.itemID}))
    return {rec["itemID"]: rec for rec in render_items(item_rows, _nested(relations, "Item"))}


def render_sale_lines(
    rows: list[SaleLine], relations: set[str], items: dict[str, dict] | None = None
) -> list[dict]:
    """`items`: the lines' Item records when a caller rendering many sales read them at once."""
    out = []
    if items is None:
        items = _line_items(rows, relations)
    for line in rows:
        record = _fields(line, SALE_LINE_FIELDS)
        if line.lineType:
            record["lineType"] = line.lineType
        if line.note and "Note" in relations:
            record["Note"] = {"noteID": str(line.noteID), "note": line.note, "isPublic": "false"}
        if "Item" in relations and record["itemID"] in items:
            record["Item"] = items[record["itemID"]]
        out.append(record)
    return out


def _payment_types(rows: list[SalePayment], relations: set[str]) -> dict[int, PaymentType]:
    if "PaymentType" not in relations or not rows:
        return {}
    return {
        t.paymentTypeID: t
        for t in PaymentType.objects.filter(paymentTypeID__in={r.paymentTypeID for r in rows})
    }


def render_sale_payments(
    rows: list[SalePayment], relations: set[str], types: dict[int, PaymentType] | None = None
) -> list[dict]:
    if types is None:
        types = _payment_types(rows, relations)
    out = []
    for p in rows:
        record = _fields(p, SALE_PAYMENT_FIELDS, {"ccChargeID": 0, "creditAccountID": 0})
        t = types.get(p.paymentTypeID)
        if t is not None:
            record["PaymentType"] = payment_type_record(t)
        out.append(record)
    return out


def render_sales(rows: list[Sale], relations: set[str]) -> list[dict]:
    ids = [s.saleID for s in rows]
    lines: dict[int, list[SaleLine]] = defaultdict(list)
    payments: dict[int, list[SalePayment]] = defaultdict(list)
    if "SaleLines" in relations and ids:
        for line in SaleLine.objects.filter(saleID__in=ids).order_by("saleLineID"):
            lines[line.saleID].append(line)
    if "SalePayments" in relations and ids:
        for p in SalePayment.objects.filter(saleID__in=ids).order_by("salePaymentID"):
            payments[p.saleID].append(p)
    customers: dict[int, dict] = {}
    if "Customer" in relations and ids:
        cust_rows = list(Customer.objects.filter(customerID__in={s.customerID for s in rows if s.customerID}))
        customers = {
            int(c["customerID"]): c for c in render_customers(cust_rows, _nested(relations, "Customer"))
        }
    line_relations = _nested(relations, "SaleLines")
    payment_relations = _nested(relations, "SalePayments")
    # The page's items and payment types in one read each, not one per sale.
    items = _line_items([line for rows_ in lines.values() for line in rows_], line_relations)
    types = _payment_types([p for rows_ in payments.values() for p in rows_], payment_relations)
    out = []
    for s in rows:
        extra = {
            "displayableSubtotal": s.calcSubtotal,
            "displayableTotal": s.total,
            "tipEnabled": False,
            "calcTips": 0,
            "tipEmployeeID": s.employeeID,
        }
        record = _fields(s, SALE_FIELDS, extra)
        if "SaleLines" in relations:
            put_relation(
                record, "SaleLines", "SaleLine", render_sale_lines(lines[s.saleID], line_relations, items)
            )
        if "SalePayments" in relations:
            put_relation(
                record,
                "SalePayments",
                "SalePayment",
                render_sale_payments(payments[s.saleID], payment_relations, types),
            )
        if "Customer" in relations and s.customerID in customers:
            record["Customer"] = customers[s.customerID]
        out.append(record)
    return out


def render_sale_voids(rows: list[SaleVoid], relations: set[str]) -> list[dict]:
    return [
        _fields(v, ["saleVoidID", "createTime", "reason", "saleID", "employeeID", "shopID"]) for v in rows
    ]
