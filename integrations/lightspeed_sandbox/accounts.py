"""What `Account.json`, `Account/{id}.json` and `Session.json` answer: the token's account and employee."""

from __future__ import annotations

from integrations.lightspeed_sandbox.render import api_str
from integrations.lightspeed_sandbox.serializers import account_record
from integrations.lightspeed_sandbox.services import oauth
from integrations.lightspeed_sandbox.store.models import Account, ApiClient, Employee, Shop


def account_payload(account_id: int, *, legacy: bool) -> dict:
    account = Account.objects.get(accountID=account_id)
    return {"@attributes": {"count": "1"}, "Account": account_record(account, legacy=legacy)}


RIGHTS = [
    "admin",
    "admin_employees",
    "admin_inventory",
    "admin_purchases",
    "admin_shops",
    "admin_void_sale",
    "all_read",
    "allow_login",
    "categories",
    "customers",
    "customers_credit_limit",
    "customers_read",
    "ecom",
    "inventory_base",
    "inventory_counts",
    "inventory_import",
    "inventory_read",
    "manufacturers",
    "product_cost",
    "product_edit",
    "purchase_orders",
    "register",
    "register_catalogs",
    "register_close",
    "register_layaway",
    "register_line_discount",
    "register_open",
    "register_price",
    "register_read",
    "register_refund",
    "register_transaction_discount",
    "register_withdraw",
    "reports",
    "special_orders",
    "tags",
    "transfers",
    "vendor_returns",
    "vendors",
    "vr_reasons",
    "workbench",
]
CLERK_RIGHTS = {
    "allow_login",
    "register",
    "register_read",
    "register_open",
    "customers",
    "customers_read",
    "inventory_read",
    "register_layaway",
}


def account_detail_payload(account_id: int) -> dict:
    """`GET /API/V3/Account/{id}.json`: the account's subscription, in its own documented shape."""
    account = Account.objects.get(accountID=account_id)
    employees = Employee.objects.filter(accountID=account_id, archived=False).count()
    return {
        "@attributes": {"systemCustomerID": str(account_id)},
        "status": "customer",
        "name": account.name,
        "employeeCount": str(employees),
        "employeeLimit": "30",
        "uniqueSubscriptionIdentifier": f"SBX{account_id % 1000000:06d}",
        "defaultCurrency": {"code": "USD", "symbol": "$"},
        "purchasingCurrencies": {"purchasingCurrency": {"code": "USD", "symbol": "$", "rate": "1"}},
    }


def session_payload(auth: oauth.Authenticated) -> dict:
    """`Session.json` as documented: no @attributes, the employee and their rights."""
    token = auth.token
    employee = Employee.objects.filter(employeeID=token.employeeID).first()
    client = ApiClient.objects.filter(clientID=token.clientID).first()
    owner = employee is not None and employee.limitToShopID == 0
    session = {
        "sessionID": "",
        "sessionCookie": "PHPSESSID=; path=/",
        "employeeID": str(token.employeeID),
        "systemCustomerID": str(token.accountID),
        "systemUserID": str(token.accountID * 1000 + token.employeeID),
        "systemAPIClientID": str(client.pk if client else 0),
        "systemAPIKeyID": str(token.pk),
        "ecomUrl": "",
        "shopCount": str(Shop.objects.filter(accountID=token.accountID, archived=False).count()),
    }
    if employee is not None:
        session["Employee"] = {
            "employeeID": str(employee.employeeID),
            "firstName": employee.firstName,
            "lastName": employee.lastName,
            "singleShop": api_str(employee.limitToShopID != 0),
            "hasPin": "false",
            "isCheckedIn": "false",
            "checkedInAt": "",
        }
    session["Rights"] = {right: api_str(owner or right in CLERK_RIGHTS) for right in RIGHTS}
    return session
