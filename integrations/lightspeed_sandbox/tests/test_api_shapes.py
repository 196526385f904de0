"""Lightspeed's wire quirks, at every level of every response."""

import pytest

from integrations.lightspeed_sandbox.tests.conftest import item_body

pytestmark = pytest.mark.e2e


def test_every_scalar_in_a_record_is_a_string(api):
    created = api.post("Item", item_body("Lamp", defaultCost=12.5, tax=True, qoh={1: 3})).json()["Item"]
    record = api.get(f"Item/{created['itemID']}", load_relations='["ItemShops"]')["Item"]

    def scalars(value):
        if isinstance(value, dict):
            for inner in value.values():
                yield from scalars(inner)
        elif isinstance(value, list):
            for inner in value:
                yield from scalars(inner)
        else:
            yield value

    assert all(isinstance(v, str) for v in scalars(record))
    assert record["defaultCost"] == "12.5" and record["tax"] == "true" and record["archived"] == "false"
    assert record["timeStamp"].endswith("+00:00")


def test_one_result_is_an_object_and_several_a_list_at_top_level(api):
    api.post("Item", item_body("Only one"))
    one = api.get("Item")
    assert isinstance(one["Item"], dict)
    api.post("Item", item_body("Second"))
    two = api.get("Item")
    assert isinstance(two["Item"], list) and len(two["Item"]) == 2


def test_nested_collections_of_one_are_objects_too(sandbox, api):
    item = api.post("Item", item_body("Solo", qoh={1: 1})).json()["Item"]
    body = {
        "shopID": 1,
        "registerID": 1,
        "employeeID": 1,
        "SaleLines": {"SaleLine": [{"itemID": item["itemID"]}]},
    }
    sale = api.post("Sale", body).json()["Sale"]
    fetched = api.get(f"Sale/{sale['saleID']}", load_relations='["SaleLines"]')["Sale"]
    assert isinstance(fetched["SaleLines"]["SaleLine"], dict)
    shop = api.get("Shop/1", load_relations='["Registers"]')["Shop"]
    assert isinstance(shop["Registers"]["Register"], dict)
    # Item rows: one shop row plus the shopID 0 total: a list of two.
    assert isinstance(item["ItemShops"]["ItemShop"], list)
    assert isinstance(item["Prices"]["ItemPrice"], list)


def test_an_empty_query_has_no_entity_key(api):
    payload = api.get("Item")
    assert payload == {"@attributes": {"next": "", "previous": ""}}


def test_an_empty_legacy_query_reports_count_zero_without_the_entity_key(sandbox):
    from integrations.lightspeed_sandbox.tests.conftest import Api

    legacy = Api(sandbox, sandbox.mint_tokens()["access_token"], legacy=True)
    assert legacy.get("Item") == {"@attributes": {"count": "0"}}


def test_empty_contact_relations_are_empty_strings(api):
    customer = api.post("Customer", {"firstName": "No", "lastName": "Details"}).json()["Customer"]
    contact = api.get(f"Customer/{customer['customerID']}", load_relations='["Contact"]')["Customer"][
        "Contact"
    ]
    assert contact["Addresses"] == "" and contact["Phones"] == "" and contact["Emails"] == ""


def test_deleting_a_customer_archives_it_and_a_put_brings_it_back(api):
    customer = api.post("Customer", {"firstName": "Gone", "lastName": "Soon"}).json()["Customer"]
    assert api.call("DELETE", f"Customer/{customer['customerID']}").json()["Customer"]["archived"] == "true"
    assert "Customer" not in api.get("Customer")
    api.put(f"Customer/{customer['customerID']}", {"archived": False})
    assert api.get("Customer", sort="lastName")["Customer"]["firstName"] == "Gone"


def test_a_single_record_carries_count_one(api):
    item = api.post("Item", item_body("Counted")).json()
    assert item["@attributes"] == {"count": "1"}
    assert api.get(f"Item/{item['Item']['itemID']}")["@attributes"] == {"count": "1"}


def test_count_1_returns_only_the_count(api):
    for n in range(3):
        api.post("Item", item_body(f"Thing {n}"))
    assert api.get("Item", count="1") == {"@attributes": {"count": "3"}}


def test_writes_answer_200_not_201(api):
    response = api.post("Item", item_body("Status"))
    assert response.status_code == 200


def test_item_returns_prices_without_asking_but_item_shops_only_when_asked(api):
    api.post("Item", item_body("Priced", Prices={"ItemPrice": {"useTypeID": "1", "amount": "4.50"}}))
    item = api.get("Item")["Item"]
    assert "ItemShops" not in item
    assert item["Prices"]["ItemPrice"][0] == {"amount": "4.5", "useTypeID": "1", "useType": "Default"}


def test_money_keeps_lightspeeds_unrounded_line_values(api):
    item = api.post(
        "Item", item_body("Taxed", qoh={1: 5}, Prices={"ItemPrice": {"useTypeID": 1, "amount": "10.55"}})
    )
    item_id = item.json()["Item"]["itemID"]
    body = {"shopID": 1, "registerID": 1, "employeeID": 1, "SaleLines": {"SaleLine": {"itemID": item_id}}}
    sale = api.post("Sale", body).json()["Sale"]
    line = sale["SaleLines"]["SaleLine"]
    # 10.55 with 8.875 % tax: Lightspeed keeps line totals unrounded, sale totals in cents.
    assert line["calcTotal"] == "11.4863125"
    assert sale["calcTotal"] == "11.49"


def test_unknown_record_is_a_classic_404(api):
    response = api.call("GET", "Employee/99")
    assert response.status_code == 404
    assert response.json() == {
        "httpCode": "404",
        "httpMessage": "Not Found",
        "message": "Object of type 'Employee' not found with primary ID '99'.",
        "errorClass": "Exception",
    }


def test_a_body_that_is_not_json_is_a_classic_400_labelled_text_html(api):
    # As some real 400s are: a JSON body under a text/html content type.
    response = api.session.post(
        api.url("Item"), data="{not json", headers={"Authorization": f"Bearer {api.token}"}, timeout=10
    )
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.json()["httpCode"] == "400" and response.json()["errorClass"] == "Exception"


def test_a_method_the_resource_does_not_take_is_a_405(api):
    response = api.call("DELETE", "Shop/1")
    assert response.status_code == 405
    assert response.json()["httpCode"] == "405"


def test_account_json_names_the_tokens_account(sandbox, api):
    import requests

    token = api.token
    for path in ("/API/V3/Account.json", "/API/Account.json"):
        payload = requests.get(
            sandbox.api_url + path, headers={"Authorization": f"Bearer {token}"}, timeout=10
        ).json()
        assert payload["Account"]["accountID"] == str(sandbox.account_id)
        assert payload["@attributes"] == {"count": "1"}


def test_account_detail_has_its_own_documented_shape(sandbox, api):
    import requests

    url = f"{sandbox.api_url}/API/V3/Account/{sandbox.account_id}.json"
    body = requests.get(url, headers={"Authorization": f"Bearer {api.token}"}, timeout=10).json()
    assert body["@attributes"] == {"systemCustomerID": str(sandbox.account_id)}
    assert body["name"] == "Sandbox Account" and body["defaultCurrency"]["code"] == "USD"


def test_json_comes_with_the_suffix_or_the_accept_header(sandbox, api):
    import requests

    url = f"{sandbox.api_url}/API/V3/Account/{sandbox.account_id}/Shop"
    auth = {"Authorization": f"Bearer {api.token}"}
    assert (
        requests.get(url, headers={**auth, "Accept": "application/json"}, timeout=10).json()["Shop"]["shopID"]
        == "1"
    )
    assert requests.get(url, headers={**auth, "Accept": "text/xml"}, timeout=10).status_code == 406


def test_session_json_names_the_employee_and_account_on_both_paths(sandbox, api):
    import requests

    for path in ("/API/Session.json", "/API/V3/Session.json"):
        session = requests.get(
            sandbox.api_url + path, headers={"Authorization": f"Bearer {api.token}"}, timeout=10
        )
        assert session.status_code == 200
        body = session.json()
        assert body["systemCustomerID"] == str(sandbox.account_id) and body["employeeID"] == "1"
        assert body["Employee"]["firstName"] == "Dana" and body["shopCount"] == "1"
        assert "@attributes" not in body and body["Rights"]["register"] == "true"
