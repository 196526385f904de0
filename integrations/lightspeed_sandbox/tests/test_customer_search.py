"""Searching customers by their contact details, as the docs' searching tutorial does."""

import pytest

from integrations.lightspeed_sandbox.tests.conftest import as_list

pytestmark = pytest.mark.e2e

CONTACT = '["Contact"]'


def _customer(api, first, *, emails=(), phones=()):
    body = {
        "firstName": first,
        "Contact": {
            "Emails": {"ContactEmail": [{"address": a, "useType": u} for a, u in emails]},
            "Phones": {"ContactPhone": [{"number": n, "useType": u} for n, u in phones]},
        },
    }
    response = api.post("Customer", body)
    assert response.status_code == 200, response.text
    return response.json()["Customer"]["customerID"]


def _found(api, **params):
    return [
        c["firstName"] for c in as_list(api.get("Customer", load_relations=CONTACT, **params).get("Customer"))
    ]


def test_customers_are_found_by_email_with_like_and_not_like(api):
    _customer(api, "Tamberson", emails=[("tam@minotaurs.example", "Primary")])
    _customer(api, "Pendleton", emails=[("pen@example.org", "Primary")])
    _customer(api, "Nomail")
    assert _found(api, **{"Contact.email": "~,%minotaurs%"}) == ["Tamberson"]
    assert _found(api, **{"Contact.email": "pen@example.org"}) == ["Pendleton"]
    # The tutorial's own example: every customer that has an email.
    assert sorted(_found(api, **{"Contact.email": "!~,"})) == ["Pendleton", "Tamberson"]


def test_customers_are_found_by_each_kind_of_phone(api):
    _customer(api, "Home", phones=[("360 555 2453", "Home")])
    _customer(api, "Work", phones=[("360 555 1000", "Work")])
    _customer(api, "Mobile", phones=[("360 555 7777", "Mobile"), ("360 555 8888", "Fax")])
    _customer(api, "Pager", phones=[("360 555 3333", "Pager")])
    assert _found(api, **{"Contact.phoneHome": "360 555 2453"}) == ["Home"]
    assert _found(api, **{"Contact.phoneWork": "~,%1000"}) == ["Work"]
    assert _found(api, **{"Contact.mobile": "360 555 7777"}) == ["Mobile"]
    assert _found(api, **{"Contact.pager": "~,%3333"}) == ["Pager"]
    assert _found(api, **{"Contact.fax": "360 555 8888"}) == ["Mobile"]


def test_a_contact_change_is_searchable_at_once_and_other_contact_fields_are_refused(api):
    customer_id = _customer(api, "Changer", emails=[("old@example.org", "Primary")])
    api.put(
        f"Customer/{customer_id}", {"Contact": {"Emails": {"ContactEmail": {"address": "new@example.org"}}}}
    )
    assert _found(api, **{"Contact.email": "~,new@%"}) == ["Changer"]
    assert _found(api, **{"Contact.email": "~,old@%"}) == []
    refused = api.call("GET", "Customer", params={"load_relations": CONTACT, "Contact.firstName": "x"})
    assert refused.status_code == 400
    unloaded = api.call("GET", "Customer", params={"Contact.email": "~,%x%"})
    assert unloaded.status_code == 400
    assert "needs it loaded" in unloaded.json()["message"]


def test_the_demo_customers_are_searchable_by_email(demo_api):
    customers = as_list(demo_api.get("Customer", load_relations=CONTACT)["Customer"])
    with_email = [c for c in customers if c["Contact"].get("Emails")]
    address = as_list(with_email[0]["Contact"]["Emails"]["ContactEmail"])[0]["address"]
    found = as_list(
        demo_api.get("Customer", load_relations=CONTACT, **{"Contact.email": f"~,%{address[2:]}"})["Customer"]
    )
    assert with_email[0]["customerID"] in {c["customerID"] for c in found}
