"""Sales: completion moves stock, refunds return it, reservations, voids as the POS does them."""

import pytest

from integrations.lightspeed_sandbox.tests.conftest import as_list, item_body

pytestmark = pytest.mark.e2e


def _qoh(api, item_id, shop="1"):
    item = api.get(f"Item/{item_id}", load_relations='["ItemShops"]')["Item"]
    rows = {r["shopID"]: r for r in as_list(item["ItemShops"]["ItemShop"])}
    return rows[shop]


def _new_item(api, qoh=10, price="20.00"):
    body = item_body("Jacket", qoh={1: qoh}, Prices={"ItemPrice": {"useTypeID": 1, "amount": price}})
    return api.post("Item", body).json()["Item"]["itemID"]


def _sale(api, lines, *, completed=True, payment=None, **header):
    body = {"shopID": 1, "registerID": 1, "employeeID": 1, "SaleLines": {"SaleLine": lines}, **header}
    if completed:
        body["completed"] = True
        body["SalePayments"] = {"SalePayment": payment or {"paymentTypeID": 1, "amount": "1000"}}
    return api.post("Sale", body)


def test_completing_a_sale_lowers_the_shops_quantity(api):
    item_id = _new_item(api, qoh=10)
    response = _sale(api, [{"itemID": item_id, "unitQuantity": 3}])
    assert response.status_code == 200
    sale = response.json()["Sale"]
    assert sale["completed"] == "true" and sale["completeTime"] == sale["timeStamp"]
    assert _qoh(api, item_id)["qoh"] == "7"
    assert _qoh(api, item_id, "0")["qoh"] == "7"


def test_sales_and_voids_move_item_shop_timestamps_but_not_the_items(sandbox, api):
    item_id = _new_item(api, qoh=10)
    created = api.get(f"Item/{item_id}")["Item"]["timeStamp"]
    sandbox.advance_clock(120)
    sale = _sale(api, [{"itemID": item_id, "unitQuantity": 3}]).json()["Sale"]
    sold = _qoh(api, item_id)
    assert sold["timeStamp"] == sale["timeStamp"] > created
    assert _qoh(api, item_id, "0")["timeStamp"] == sale["timeStamp"]
    assert api.get(f"Item/{item_id}")["Item"]["timeStamp"] == created
    changed = as_list(api.get("ItemShop", timeStamp=f">,{created}", sort="timeStamp")["ItemShop"])
    assert {(row["itemID"], row["shopID"]) for row in changed} == {(item_id, "1"), (item_id, "0")}
    sandbox.advance_clock(120)
    sandbox.void_sale(int(sale["saleID"]))
    restocked = _qoh(api, item_id)
    assert restocked["qoh"] == "10" and restocked["timeStamp"] > sold["timeStamp"]
    assert api.get(f"Item/{item_id}")["Item"]["timeStamp"] == created


def test_an_open_sale_does_not_move_stock_until_completed(api):
    item_id = _new_item(api, qoh=10)
    sale = _sale(api, [{"itemID": item_id, "unitQuantity": 2}], completed=False).json()["Sale"]
    assert _qoh(api, item_id)["qoh"] == "10"
    payment = {"paymentTypeID": 1, "amount": sale["total"]}
    done = api.put(f"Sale/{sale['saleID']}", {"SalePayments": {"SalePayment": payment}, "completed": True})
    assert done.status_code == 200, done.text
    assert _qoh(api, item_id)["qoh"] == "8"


def test_completion_needs_payments_covering_the_total(api):
    item_id = _new_item(api, qoh=10, price="50")
    response = _sale(api, [{"itemID": item_id}], payment={"paymentTypeID": 1, "amount": "10"})
    assert response.status_code == 422
    assert response.json()["httpMessage"] == "Unprocessable Entity"
    assert _qoh(api, item_id)["qoh"] == "10"


def test_a_refund_line_raises_the_quantity_and_points_at_its_parent(api):
    item_id = _new_item(api, qoh=5)
    sale = _sale(api, [{"itemID": item_id, "unitQuantity": 2}]).json()["Sale"]
    parent = sale["SaleLines"]["SaleLine"]["saleLineID"]
    refund = _sale(
        api,
        [{"itemID": item_id, "unitQuantity": -1, "unitPrice": "20", "parentSaleLineID": parent}],
        payment={"paymentTypeID": 1, "amount": "-21.78"},
    ).json()["Sale"]
    assert float(refund["total"]) < 0
    assert refund["SaleLines"]["SaleLine"]["parentSaleLineID"] == parent
    assert _qoh(api, item_id)["qoh"] == "4"


CASH_BACK = {"SalePayments": {"SalePayment": {"paymentTypeID": 1}}}


def test_full_refund_endpoint_returns_every_unit_as_a_new_negative_sale(api):
    item_id = _new_item(api, qoh=5)
    sale = _sale(api, [{"itemID": item_id, "unitQuantity": 2}]).json()["Sale"]
    response = api.call("POST", f"Sale/{sale['saleID']}/refund", json=CASH_BACK)
    assert response.status_code == 200, response.text
    refund = response.json()["Sale"]
    line = refund["SaleLines"]["SaleLine"]
    assert (line["unitQuantity"], line["unitPrice"]) == ("-2", "20")
    assert refund["completed"] == "true" and refund["total"] == "-" + sale["total"]
    assert _qoh(api, item_id)["qoh"] == "5"
    assert refund["SalePayments"]["SalePayment"]["amount"] == refund["total"]
    assert (
        api.call("POST", f"Sale/{sale['saleID']}/refund", json=CASH_BACK).status_code == 400
    )  # nothing left


def test_a_refund_needs_a_payment_type(api):
    item_id = _new_item(api)
    sale = _sale(api, [{"itemID": item_id}]).json()["Sale"]
    assert api.call("POST", f"Sale/{sale['saleID']}/refund", json={}).status_code == 400


def test_a_partial_refund_by_ticket_number_returns_only_the_units_asked(api):
    item_id = _new_item(api, qoh=10)
    sale = _sale(api, [{"itemID": item_id, "unitQuantity": 3}]).json()["Sale"]
    line_id = sale["SaleLines"]["SaleLine"]["saleLineID"]
    body = {**CASH_BACK, "SaleLines": {"SaleLine": {"parentSaleLineID": line_id, "unitQuantity": -1}}}
    refund = api.call("POST", f"Sale/{sale['ticketNumber']}/refund", json=body)
    assert refund.status_code == 200, refund.text
    assert refund.json()["Sale"]["SaleLines"]["SaleLine"]["unitQuantity"] == "-1"
    assert _qoh(api, item_id)["qoh"] == "8"
    too_many = {**CASH_BACK, "SaleLines": {"SaleLine": {"parentSaleLineID": line_id, "unitQuantity": -3}}}
    assert api.call("POST", f"Sale/{sale['saleID']}/refund", json=too_many).status_code == 400


def test_an_uncompleted_refund_leaves_stock_alone(api):
    item_id = _new_item(api, qoh=10)
    sale = _sale(api, [{"itemID": item_id, "unitQuantity": 2}]).json()["Sale"]
    refund = api.call("POST", f"Sale/{sale['saleID']}/refund", json={**CASH_BACK, "completed": False}).json()[
        "Sale"
    ]
    assert refund["completed"] == "false"
    assert _qoh(api, item_id)["qoh"] == "8"


def test_sale_lines_accept_an_item_code_for_upc_ean_or_system_sku(api):
    item = api.post("Item", item_body("Coded", qoh={1: 5}, upc="036000291452")).json()["Item"]
    for code in ("036000291452", item["systemSku"]):
        line = _sale(api, [{"itemCode": code}]).json()["Sale"]["SaleLines"]["SaleLine"]
        assert line["itemID"] == item["itemID"]
    assert _sale(api, [{"itemCode": "000"}]).status_code == 400


def test_a_backdated_completion_hides_the_sale_from_a_timestamp_poll(sandbox, api):
    item_id = _new_item(api)
    first = _sale(api, [{"itemID": item_id}]).json()["Sale"]
    sandbox.advance_clock(60)
    late = _sale(api, [{"itemID": item_id}], completeTime="2020-01-01T00:00:00+00:00").json()["Sale"]
    assert late["completeTime"] == late["timeStamp"] == "2020-01-01T00:00:00+00:00"
    assert late["updatetime"] > first["timeStamp"]
    newer = as_list(api.get("Sale", timeStamp=f">,{first['timeStamp']}").get("Sale"))
    assert newer == []


def test_an_exchange_mixes_returned_and_sold_lines(api):
    old, new = _new_item(api, qoh=5), _new_item(api, qoh=5, price="30")
    sale = _sale(api, [{"itemID": old}]).json()["Sale"]
    parent = sale["SaleLines"]["SaleLine"]["saleLineID"]
    exchange = _sale(
        api,
        [{"itemID": old, "unitQuantity": -1, "unitPrice": "20", "parentSaleLineID": parent}, {"itemID": new}],
    ).json()["Sale"]
    assert len(exchange["SaleLines"]["SaleLine"]) == 2
    assert (_qoh(api, old)["qoh"], _qoh(api, new)["qoh"]) == ("5", "4")


def test_layaway_and_workorder_lines_reserve_until_the_sale_completes(api):
    item_id = _new_item(api, qoh=10)
    sale = _sale(
        api,
        [{"itemID": item_id, "unitQuantity": 2, "isLayaway": True}, {"itemID": item_id, "isWorkorder": True}],
        completed=False,
    ).json()["Sale"]
    row = _qoh(api, item_id)
    assert (row["qoh"], row["onLayaway"], row["onWorkorder"]) == ("10", "2", "1")
    payment = {"paymentTypeID": 1, "amount": sale["total"]}
    api.put(f"Sale/{sale['saleID']}", {"SalePayments": {"SalePayment": payment}, "completed": True})
    row = _qoh(api, item_id)
    assert (row["qoh"], row["onLayaway"], row["onWorkorder"]) == ("7", "0", "0")


def test_cancelling_an_open_layaway_restores_the_reservation(api):
    item_id = _new_item(api, qoh=10)
    sale = _sale(api, [{"itemID": item_id, "unitQuantity": 2, "isLayaway": True}], completed=False).json()[
        "Sale"
    ]
    assert api.call("DELETE", f"Sale/{sale['saleID']}").status_code == 200
    row = _qoh(api, item_id)
    assert (row["qoh"], row["onLayaway"]) == ("10", "0")


def test_a_completed_sale_cannot_be_deleted(api):
    item_id = _new_item(api)
    sale = _sale(api, [{"itemID": item_id}]).json()["Sale"]
    assert api.call("DELETE", f"Sale/{sale['saleID']}").status_code == 400


def test_misc_and_fee_lines_have_item_id_0_and_hold_no_stock(api):
    sale = _sale(
        api,
        [
            {"itemID": 0, "unitPrice": "15.00", "Note": {"note": "Hemming"}},
            {"itemID": 0, "unitPrice": "0.10", "tax": False, "lineType": "item_fee"},
        ],
    ).json()["Sale"]
    lines = sale["SaleLines"]["SaleLine"]
    assert [line["itemID"] for line in lines] == ["0", "0"]
    assert lines[1]["lineType"] == "item_fee"


def test_void_restocks_marks_voided_adds_sale_void_and_moves_updatetime_not_timestamp(sandbox, api):
    item_id = _new_item(api, qoh=10)
    sale = _sale(api, [{"itemID": item_id, "unitQuantity": 4}]).json()["Sale"]
    sandbox.advance_clock(600)
    sandbox.void_sale(int(sale["saleID"]))
    after = api.get(f"Sale/{sale['saleID']}")["Sale"]
    assert after["voided"] == "true" and after["completed"] == "false"
    assert after["timeStamp"] == sale["timeStamp"]
    assert after["updatetime"] > sale["updatetime"]
    assert _qoh(api, item_id)["qoh"] == "10"
    voids = api.get("SaleVoid")["SaleVoid"]
    assert set(voids) == {"saleVoidID", "createTime", "reason", "saleID", "employeeID", "shopID"}
    assert voids["saleID"] == sale["saleID"] and voids["shopID"] == "1"
    assert voids["reason"].startswith("Lightspeed Retail System Administrator Void: ")
    # A poll on timeStamp never sees the void; one on updatetime does.
    assert "Sale" not in api.get("Sale", timeStamp=f">,{sale['timeStamp']}")
    assert (
        api.get("Sale", updatetime=f">,{sale['timeStamp']}", sort="updatetime")["Sale"]["saleID"]
        == sale["saleID"]
    )
    with pytest.raises(Exception, match="409"):
        sandbox.void_sale(int(sale["saleID"]))


def test_sales_load_lines_items_payments_and_customer_with_contact(sandbox, api):
    sandbox.seed(
        records={
            "Customer": [
                {
                    "firstName": "Ana",
                    "lastName": "Lima",
                    "Contact": {"Emails": {"ContactEmail": {"address": "a@x.io", "useType": "Primary"}}},
                }
            ]
        }
    )
    item_id = _new_item(api)
    _sale(api, [{"itemID": item_id}], customerID=1)
    relations = '["SaleLines","SaleLines.Item","SalePayments","SalePayments.PaymentType","Customer","Customer.Contact"]'
    sale = api.get("Sale", load_relations=relations)["Sale"]
    assert sale["SaleLines"]["SaleLine"]["Item"]["itemID"] == item_id
    assert sale["SalePayments"]["SalePayment"]["PaymentType"]["name"] == "Cash"
    assert sale["Customer"]["Contact"]["Emails"]["ContactEmail"]["address"] == "a@x.io"


def test_sale_lines_are_listed_on_their_own(api):
    item_id = _new_item(api)
    sale = _sale(api, [{"itemID": item_id}, {"itemID": item_id, "unitQuantity": 2}]).json()["Sale"]
    lines = api.get("SaleLine", saleID=sale["saleID"])["SaleLine"]
    assert [line["unitQuantity"] for line in lines] == ["1", "2"]


def test_a_sale_needs_a_valid_shop_and_employee(api):
    assert api.post("Sale", {"employeeID": 1}).status_code == 400
    assert api.post("Sale", {"shopID": 1, "employeeID": 77}).status_code == 400


def test_selling_more_than_on_hand_goes_negative_and_sellable_stays_at_zero(api):
    item_id = _new_item(api, qoh=1)
    _sale(api, [{"itemID": item_id, "unitQuantity": 3}])
    row = _qoh(api, item_id)
    assert (row["qoh"], row["sellable"]) == ("-2", "0")


def test_a_full_refund_costs_ten_drips(api):
    item_id = _new_item(api)
    sale = _sale(api, [{"itemID": item_id}]).json()["Sale"]
    response = api.call("POST", f"Sale/{sale['saleID']}/refund", json=CASH_BACK)
    assert response.headers["X-LS-API-Request-Cost"] == "10"


def test_an_overpaying_cash_payment_is_saved_as_the_amount_due_and_the_rest_is_change(api):
    item_id = _new_item(api, price="10.55")  # 10.55 + 8.875% tax = 11.49, as in the docs' tutorial
    response = _sale(api, [{"itemID": item_id}], payment={"paymentTypeID": 1, "amount": "15"})
    assert response.status_code == 200, response.text
    sale = api.get(f"Sale/{response.json()['Sale']['saleID']}", load_relations='["SalePayments"]')["Sale"]
    assert sale["total"] == "11.49"
    assert (sale["calcPayments"], sale["change"], sale["balance"]) == ("11.49", "3.51", "0")
    assert sale["SalePayments"]["SalePayment"]["amount"] == "11.49"


def test_with_card_and_cash_only_the_cash_gives_change_and_a_card_cannot_overpay(api):
    item_id = _new_item(api, price="10.55")
    mixed = [{"paymentTypeID": 3, "amount": "5"}, {"paymentTypeID": 1, "amount": "10"}]
    sale = _sale(api, [{"itemID": item_id}], payment=mixed).json()["Sale"]
    paid = as_list(
        api.get(f"Sale/{sale['saleID']}", load_relations='["SalePayments"]')["Sale"]["SalePayments"][
            "SalePayment"
        ]
    )
    assert [(p["paymentTypeID"], p["amount"]) for p in paid] == [("3", "5"), ("1", "6.49")]
    assert (sale["calcPayments"], sale["change"]) == ("11.49", "3.51")
    refused = _sale(api, [{"itemID": item_id}], payment={"paymentTypeID": 3, "amount": "20"})
    assert refused.status_code == 400
    assert "only a cash payment can be more than what is due" in refused.json()["message"]


def test_a_refund_naming_a_payment_type_the_account_lacks_is_refused(api):
    item_id = _new_item(api)
    sale = _sale(api, [{"itemID": item_id}]).json()["Sale"]
    response = api.post(
        f"Sale/{sale['saleID']}/refund", {"SalePayments": {"SalePayment": {"paymentTypeID": 99}}}
    )
    assert response.status_code == 404
    assert "PaymentType" in response.json()["message"]
