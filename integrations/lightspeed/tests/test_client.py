"""The API client's conversations with Lightspeed, asserted call by call."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from responses import matchers

from integrations.lightspeed.api import errors
from integrations.lightspeed.api.client import LightspeedClient
from integrations.lightspeed.connection.services.client import lightspeed_client_for

from .conftest import ACCOUNT_ID, ACCOUNT_URL, EXPIRED, ONE_ACCOUNT, TOKEN_URL, resource_url, token_answer


class StaticTokens:
    def __init__(self, token: str = "a1") -> None:
        self.token = token

    def access_token(self) -> str:
        return self.token

    def refresh_access_token(self, *, rejected: str) -> str:
        raise AssertionError("no refresh expected")


class NoPacing:
    def reserve(self, cost: float) -> float:
        return 0.0

    def observe(self, reading) -> None:
        pass


@pytest.fixture
def client(sleeps, db) -> LightspeedClient:
    return LightspeedClient(account_id=ACCOUNT_ID, tokens=StaticTokens(), sleep=sleeps, pacer=NoPacing())


def urls(mock) -> list[str]:
    return [call.request.url.split("?")[0] for call in mock.calls]


def query(call) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


# --- tokens ---------------------------------------------------------------------------------
def test_expired_token_is_refreshed_once_and_the_request_replayed_with_the_new_pair(
    connected, mocked_lightspeed, sleeps
):
    mocked_lightspeed.get(ACCOUNT_URL, status=401, json=EXPIRED)
    mocked_lightspeed.post(TOKEN_URL, json=token_answer("a2", "r2"))
    mocked_lightspeed.get(ACCOUNT_URL, json=ONE_ACCOUNT)

    account = lightspeed_client_for(connected, sleep=sleeps).get_account()

    assert account["accountID"] == ACCOUNT_ID
    assert urls(mocked_lightspeed) == [ACCOUNT_URL, TOKEN_URL, ACCOUNT_URL]
    assert mocked_lightspeed.calls[0].request.headers["Authorization"] == "Bearer a1"
    assert mocked_lightspeed.calls[2].request.headers["Authorization"] == "Bearer a2"
    token_form = parse_qs(mocked_lightspeed.calls[1].request.body)
    assert token_form["grant_type"] == ["refresh_token"] and token_form["refresh_token"] == ["r1"]
    connected.refresh_from_db()
    assert (connected.auth_token, connected.refresh_token) == ("a2", "r2")
    assert connected.token_refreshed_at is not None


def test_a_second_401_after_the_refresh_is_raised_not_retried(connected, mocked_lightspeed, sleeps):
    mocked_lightspeed.get(ACCOUNT_URL, status=401, json=EXPIRED)
    mocked_lightspeed.post(TOKEN_URL, json=token_answer("a2", "r2"))
    mocked_lightspeed.get(ACCOUNT_URL, status=401, json=EXPIRED)

    with pytest.raises(errors.LightspeedUnauthorizedError) as raised:
        lightspeed_client_for(connected, sleep=sleeps).get_account()

    assert urls(mocked_lightspeed) == [ACCOUNT_URL, TOKEN_URL, ACCOUNT_URL]
    assert "could not be verified" in raised.value.message or "denied" in raised.value.message
    connected.refresh_from_db()
    assert connected.refresh_token == "r2"  # the rotated pair is kept even though the call failed


# --- rate limits, server errors, timeouts ----------------------------------------------------
def test_429_with_retry_after_in_seconds_waits_exactly_that_long_then_retries(
    client, mocked_lightspeed, sleeps
):
    mocked_lightspeed.get(
        ACCOUNT_URL, status=429, headers={"Retry-After": "3", "X-LS-API-RateLimit-Type": "api-leaky-bucket"}
    )
    mocked_lightspeed.get(ACCOUNT_URL, json=ONE_ACCOUNT)

    client.get_account()

    assert sleeps == [3.0]
    assert urls(mocked_lightspeed) == [ACCOUNT_URL, ACCOUNT_URL]
    assert (client.stats.requests, client.stats.rate_limited) == (2, 1)


def test_429_with_retry_after_as_an_http_date_waits_until_that_date(client, mocked_lightspeed, sleeps):
    when = datetime.now(UTC) + timedelta(seconds=8)
    mocked_lightspeed.get(
        ACCOUNT_URL, status=429, headers={"retry-after": format_datetime(when, usegmt=True)}
    )
    mocked_lightspeed.get(ACCOUNT_URL, json=ONE_ACCOUNT)

    client.get_account()

    assert len(sleeps) == 1 and 5.0 <= sleeps[0] <= 8.0


def test_a_429_asking_for_a_long_wait_is_raised_with_the_wait_for_a_later_retry(
    client, mocked_lightspeed, sleeps
):
    mocked_lightspeed.get(ACCOUNT_URL, status=429, headers={"Retry-After": "900"})

    with pytest.raises(errors.LightspeedRateLimitedError) as raised:
        client.get_account()

    assert raised.value.retry_after == 900.0 and sleeps == []


def test_503_then_success_backs_off_once_and_returns_the_answer(client, mocked_lightspeed, sleeps):
    mocked_lightspeed.get(ACCOUNT_URL, status=503, body="<html>Service Unavailable</html>")
    mocked_lightspeed.get(ACCOUNT_URL, json=ONE_ACCOUNT)

    assert client.get_account()["name"] == "Demo Outfitters"
    assert len(sleeps) == 1 and 0 < sleeps[0] <= 2.0


def test_a_server_that_keeps_failing_raises_after_bounded_retries_with_growing_waits(
    mocked_lightspeed, sleeps, db
):
    client = LightspeedClient(
        account_id=ACCOUNT_ID, tokens=StaticTokens(), sleep=sleeps, pacer=NoPacing(), max_retries=4
    )
    for _ in range(5):
        mocked_lightspeed.get(ACCOUNT_URL, status=502)

    with pytest.raises(errors.LightspeedServerError):
        client.get_account()

    assert len(mocked_lightspeed.calls) == 5 and len(sleeps) == 4
    assert all(0 < wait <= 30 for wait in sleeps)
    assert max(sleeps[2:]) > 1.0  # the ceiling doubles: later waits may exceed the first


def test_timeouts_and_dropped_connections_are_retried_then_succeed(client, mocked_lightspeed, sleeps):
    mocked_lightspeed.get(ACCOUNT_URL, body=requests.ReadTimeout("read timed out"))
    mocked_lightspeed.get(ACCOUNT_URL, body=requests.ConnectionError("connection reset by peer"))
    mocked_lightspeed.get(ACCOUNT_URL, json=ONE_ACCOUNT)

    assert client.get_account()["accountID"] == ACCOUNT_ID
    assert len(sleeps) == 2


def test_a_timeout_that_persists_raises_a_timeout_error(mocked_lightspeed, sleeps, db):
    client = LightspeedClient(
        account_id=ACCOUNT_ID, tokens=StaticTokens(), sleep=sleeps, pacer=NoPacing(), max_retries=1
    )
    mocked_lightspeed.get(ACCOUNT_URL, body=requests.ReadTimeout("read timed out"))
    mocked_lightspeed.get(ACCOUNT_URL, body=requests.ReadTimeout("read timed out"))

    with pytest.raises(errors.LightspeedTimeoutError):
        client.get_account()


def test_a_create_that_failed_on_the_server_is_not_repeated(client, mocked_lightspeed, sleeps):
    mocked_lightspeed.post(resource_url("Item"), status=500)

    with pytest.raises(errors.LightspeedServerError):
        client.create_item({"description": "Trail Mug"})

    assert len(mocked_lightspeed.calls) == 1 and sleeps == []


# --- error bodies ----------------------------------------------------------------------------
def test_lightspeeds_message_is_read_from_the_classic_error_body(client, mocked_lightspeed):
    mocked_lightspeed.post(
        resource_url("Item"),
        status=400,
        json={
            "httpCode": "400",
            "httpMessage": "Bad Request",
            "message": "Item not created. An Item must have a description.",
            "errorClass": "Exception",
        },
    )
    with pytest.raises(errors.LightspeedBadRequestError) as raised:
        client.create_item({"description": "x"})
    assert raised.value.message == "Item not created. An Item must have a description."
    assert raised.value.status == 400


def test_lightspeeds_message_is_read_from_the_oauth_style_error_body(client, mocked_lightspeed):
    mocked_lightspeed.get(
        resource_url("Sale"),
        status=400,
        json={"error": "invalid_request", "error_description": "sort field not allowed: color"},
    )
    with pytest.raises(errors.LightspeedBadRequestError) as raised:
        list(client.iter_sales(since=datetime(2026, 1, 1, tzinfo=UTC)))
    assert raised.value.message == "sort field not allowed: color"


def test_an_html_error_body_still_gives_a_readable_message(client, mocked_lightspeed):
    mocked_lightspeed.get(
        resource_url("Shop"),
        status=400,
        body="<html><body><h1>Bad Request</h1></body></html>",
        content_type="text/html",
    )
    with pytest.raises(errors.LightspeedBadRequestError) as raised:
        list(client.iter_shops())
    assert raised.value.message == "Bad Request"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (403, errors.LightspeedForbiddenError),
        (404, errors.LightspeedNotFoundError),
        (422, errors.LightspeedBadRequestError),
    ],
)
def test_each_refusal_has_its_own_error(client, mocked_lightspeed, status, error):
    mocked_lightspeed.get(
        resource_url("Sale", 7),
        status=status,
        json={"httpCode": str(status), "message": "Object of type 'Sale' not found with primary ID '7'."},
    )
    with pytest.raises(error) as raised:
        client.get_sale(7)
    assert "Sale" in raised.value.message


# --- bodies and paging -----------------------------------------------------------------------
def test_a_truncated_json_body_raises_and_is_never_read_as_no_sales(client, mocked_lightspeed):
    mocked_lightspeed.get(
        resource_url("Sale"),
        body='{"@attributes":{"next":"","previous":""},"Sale":[{"saleID":"1"',
        content_type="application/json",
    )
    with pytest.raises(errors.LightspeedMalformedResponseError):
        list(client.iter_sales(since=datetime(2026, 1, 1, tzinfo=UTC)))


def test_a_json_body_that_is_not_an_object_raises(client, mocked_lightspeed):
    mocked_lightspeed.get(ACCOUNT_URL, json=["not", "an", "object"])
    with pytest.raises(errors.LightspeedMalformedResponseError):
        client.get_account()


def test_pages_of_one_several_and_no_shops_are_followed_by_their_next_links_verbatim(
    client, mocked_lightspeed
):
    page2 = f"{resource_url('Shop')}?archived=true&sort=shopID&limit=100&after=WyIyIl0%3D"
    page3 = f"{resource_url('Shop')}?archived=true&sort=shopID&limit=100&after=WyI0Il0%3D"
    mocked_lightspeed.get(
        resource_url("Shop"),
        match=[
            matchers.query_param_matcher(
                {"limit": "100", "sort": "shopID", "archived": "true", "load_relations": '["Registers"]'}
            )
        ],
        json={
            "@attributes": {"next": page2, "previous": ""},
            "Shop": {
                "shopID": "1",
                "name": "Downtown",
                "Registers": {"Register": {"registerID": "1", "name": "Front"}},
            },
        },
    )
    mocked_lightspeed.get(
        page2,
        match=[matchers.query_string_matcher("archived=true&sort=shopID&limit=100&after=WyIyIl0%3D")],
        json={
            "@attributes": {"next": page3, "previous": ""},
            "Shop": [{"shopID": "2", "name": "Uptown", "Registers": ""}, {"shopID": "3", "name": "Outlet"}],
        },
    )
    mocked_lightspeed.get(
        page3,
        match=[matchers.query_string_matcher("archived=true&sort=shopID&limit=100&after=WyI0Il0%3D")],
        json={"@attributes": {"next": "", "previous": page2}},
    )

    shops = list(client.iter_shops())

    assert [s["shopID"] for s in shops] == ["1", "2", "3"]
    assert [len(s.get("Registers") or []) for s in shops] == [1, 0, 0]
    assert shops[0]["Registers"][0]["name"] == "Front"
    assert [c.request.url for c in mocked_lightspeed.calls][1:] == [page2, page3]


def test_an_empty_query_is_an_empty_list(client, mocked_lightspeed):
    mocked_lightspeed.get(resource_url("Employee"), json={"@attributes": {"next": "", "previous": ""}})
    assert list(client.iter_employees()) == []


def test_a_next_link_to_another_host_is_refused_and_the_token_not_sent_there(client, mocked_lightspeed):
    mocked_lightspeed.get(
        resource_url("Shop"),
        json={
            "@attributes": {"next": "https://evil.example.com/API/V3/Shop.json?after=x"},
            "Shop": {"shopID": "1"},
        },
    )
    with pytest.raises(errors.LightspeedMalformedResponseError):
        list(client.iter_shops())
    assert len(mocked_lightspeed.calls) == 1


# --- queries and writes ----------------------------------------------------------------------
def test_items_by_id_go_in_batches_of_at_most_100(client, mocked_lightspeed):
    empty = {"@attributes": {"next": "", "previous": ""}}
    for _ in range(3):
        mocked_lightspeed.get(resource_url("Item"), json=empty)

    list(client.iter_items(ids=range(1, 251)))

    batches = [json.loads(query(call)["itemID"][0].removeprefix("IN,")) for call in mocked_lightspeed.calls]
    assert [len(b) for b in batches] == [100, 100, 50]
    assert batches[0][0] == 1 and batches[2][-1] == 250


def test_items_since_a_time_by_code_and_stock_rows_since_a_time_ask_lightspeed_as_documented(
    client, mocked_lightspeed
):
    empty = {"@attributes": {"next": "", "previous": ""}}
    mocked_lightspeed.get(resource_url("Item"), json={**empty, "Item": {"itemID": "5", "ItemShops": ""}})
    mocked_lightspeed.get(resource_url("Item"), json=empty)
    mocked_lightspeed.get(resource_url("Item"), json=empty)
    mocked_lightspeed.get(
        resource_url("ItemShop"), json={**empty, "ItemShop": {"itemShopID": "9", "qoh": "3"}}
    )
    since = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)

    items = list(client.iter_items(since=since))
    list(client.iter_items(codes=["012345678905", "TEE-RED-M"]))
    item_shops = list(client.iter_item_shops(since=since))

    changed, *by_code, stock = (query(call) for call in mocked_lightspeed.calls)
    assert changed["timeStamp"] == [">,2026-11-26T09:30:00+00:00"] and changed["sort"] == ["timeStamp"]
    assert json.loads(changed["load_relations"][0]) == ["ItemShops"]
    assert [q["itemCode"] for q in by_code] == [["012345678905"], ["TEE-RED-M"]]
    # Item.timeStamp does not move when stock changes: stock changes are read from ItemShop.
    assert stock["timeStamp"] == [">=,2026-11-26T09:30:00+00:00"] and stock["sort"] == ["timeStamp"]
    assert [(i["itemID"], i["ItemShops"], i["itemMatrixID"]) for i in items] == [("5", [], 0)]
    assert item_shops == [{"itemShopID": "9", "qoh": "3"}]


def test_stock_rows_after_a_cursor_of_time_and_item_shop_id_are_one_query_with_an_or_filter(
    client, mocked_lightspeed
):
    mocked_lightspeed.get(resource_url("ItemShop"), json={"@attributes": {"next": "", "previous": ""}})

    list(client.iter_item_shops(since=datetime(2026, 11, 26, 9, 30, tzinfo=UTC), after_id=1507))

    (stock,) = (query(call) for call in mocked_lightspeed.calls)
    # (timeStamp, itemShopID) > (T, 1507): the rows of T's own second above 1507, and every later one.
    assert stock["timeStamp"] == [">=,2026-11-26T09:30:00+00:00"] and stock["sort"] == ["timeStamp"]
    assert stock["or"] == ["timeStamp=>,2026-11-26T09:30:00+00:00|itemShopID=>,1507"]
    assert "or=timeStamp%3D" in mocked_lightspeed.calls[0].request.url


def test_sales_since_a_time_ask_for_lines_items_payments_and_customer_in_utc(client, mocked_lightspeed):
    mocked_lightspeed.get(
        resource_url("Sale"),
        json={
            "@attributes": {"next": ""},
            "Sale": {"saleID": "9", "SaleLines": {"SaleLine": {"saleLineID": "1"}}, "SalePayments": ""},
        },
    )
    since = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)

    sales = list(client.iter_sales(since=since))

    params = query(mocked_lightspeed.calls[0])
    assert params["timeStamp"] == [">,2026-11-26T09:30:00+00:00"]
    assert params["sort"] == ["timeStamp"]
    assert {"SaleLines", "SaleLines.Item", "SalePayments", "Customer.Contact"} <= set(
        json.loads(params["load_relations"][0])
    )
    assert sales[0]["SaleLines"] == [{"saleLineID": "1"}] and sales[0]["SalePayments"] == []


def test_stock_prices_and_cost_of_an_item_go_up_in_one_put(client, mocked_lightspeed):
    mocked_lightspeed.put(
        resource_url("Item", 42),
        json={"@attributes": {"count": "1"}, "Item": {"itemID": "42", "defaultCost": "4.5"}},
    )

    item = client.update_item(
        42, qoh_by_shop={2: 5, 1: 0}, prices={1: Decimal("19.99")}, default_cost=Decimal("4.50")
    )

    assert item["itemID"] == "42" and len(mocked_lightspeed.calls) == 1
    assert json.loads(mocked_lightspeed.calls[0].request.body) == {
        "ItemShops": {"ItemShop": [{"shopID": "1", "qoh": "0"}, {"shopID": "2", "qoh": "5"}]},
        "Prices": {"ItemPrice": [{"useTypeID": "1", "amount": "19.99"}]},
        "defaultCost": "4.50",
    }


def test_a_negative_quantity_is_refused_before_anything_is_sent(client):
    with pytest.raises(ValueError):
        client.update_item(42, qoh_by_shop={1: -1})


def test_customers_by_id_come_with_their_contact(client, mocked_lightspeed):
    mocked_lightspeed.get(
        resource_url("Customer"),
        json={
            "@attributes": {"next": ""},
            "Customer": {"customerID": "5", "Contact": {"Emails": {"ContactEmail": {"address": "a@b.c"}}}},
        },
    )
    customers = list(client.iter_customers(ids=[5]))
    assert customers[0]["Contact"]["Emails"] == [{"address": "a@b.c"}]
    assert query(mocked_lightspeed.calls[0])["customerID"] == ["IN,[5]"]
