"""Customers and their contact details."""

from __future__ import annotations

from django.db import transaction

from integrations.lightspeed_sandbox import clock
from integrations.lightspeed_sandbox.errors import not_found
from integrations.lightspeed_sandbox.services.items import as_list, to_bool
from integrations.lightspeed_sandbox.store.models import Customer

TEXT_FIELDS = ("firstName", "lastName", "title", "company")
CONTACT_PARTS = (("Addresses", "ContactAddress"), ("Emails", "ContactEmail"), ("Phones", "ContactPhone"))
# `Contact.<field>` searches (tutorials/searching) and the ContactPhone useType each one reads.
PHONE_FIELDS = {"phoneHome": "Home", "phoneWork": "Work", "mobile": "Mobile", "pager": "Pager", "fax": "Fax"}
CONTACT_SEARCH_FIELDS = ("email", *PHONE_FIELDS)


def contact_search_columns(contact: dict) -> dict[str, str]:
    """The searchable contact fields: the primary (else first) email, the first phone of each use."""
    emails = [e for e in contact.get("Emails") or [] if isinstance(e, dict)]
    primary = next((e for e in emails if str(e.get("useType", "")).lower() == "primary"), None)
    chosen = primary or (emails[0] if emails else {})
    columns = {"email": str(chosen.get("address") or "")[:254]}
    phones = [p for p in contact.get("Phones") or [] if isinstance(p, dict)]
    for field, use in PHONE_FIELDS.items():
        number = next(
            (p.get("number") for p in phones if str(p.get("useType", "")).lower() == use.lower()), ""
        )
        columns[field] = str(number or "")[:50]
    return columns


def _apply(customer: Customer, data: dict) -> None:
    for name in TEXT_FIELDS:
        if name in data:
            setattr(customer, name, str(data[name] or ""))
    if "archived" in data:
        customer.archived = to_bool(data["archived"])
    contact = data.get("Contact")
    if isinstance(contact, dict):
        current = dict(customer.contact or {})
        for name, key in CONTACT_PARTS:
            if name in contact:
                current[name] = as_list(contact[name], key)
        customer.contact = current
        for field, value in contact_search_columns(current).items():
            setattr(customer, field, value)


@transaction.atomic
def customer_create(*, account_id: int, data: dict) -> Customer:
    now = clock.now()
    customer = Customer(accountID=account_id, createTime=now, timeStamp=now, contact={})
    _apply(customer, data)
    customer.save()
    return customer


@transaction.atomic
def customer_archive(*, account_id: int, customer_id: int) -> Customer:
    """DELETE archives; a PUT with archived=false brings the customer back."""
    return customer_update(account_id=account_id, customer_id=customer_id, data={"archived": True})


@transaction.atomic
def customer_update(*, account_id: int, customer_id: int, data: dict) -> Customer:
    customer = Customer.objects.filter(accountID=account_id, customerID=customer_id).first()
    if customer is None:
        raise not_found("Customer", customer_id)
    _apply(customer, data)
    customer.timeStamp = clock.now()
    customer.save()
    return customer
