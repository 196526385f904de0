"""Lightspeed's shapes made regular: unit cases, and every recorded real response body."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from integrations.lightspeed.api.errors import LightspeedMalformedResponseError
from integrations.lightspeed.api.normalise import (
    COLLECTIONS,
    as_list,
    error_message,
    normalise_record,
    parse_bucket_level,
    records_in,
    to_bool,
    to_datetime,
    to_decimal,
    to_int,
)
from integrations.lightspeed.api.pacing import BucketReading

RECORDED = Path(settings.BASE_DIR).parent / "shared" / "lightspeed" / "recorded" / "vcr_cassettes"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, []), ("", []), ({"a": 1}, [{"a": 1}]), ([{"a": 1}, {"a": 2}], [{"a": 1}, {"a": 2}])],
)
def test_a_collection_is_a_list_whatever_shape_it_came_in(value, expected):
    assert as_list(value) == expected


def test_nested_relations_become_lists_at_every_level_and_unknown_fields_are_kept():
    sale = {
        "saleID": "9",
        "futureField": {"x": "1"},
        "SaleLines": {
            "SaleLine": {
                "saleLineID": "1",
                "Item": {"itemID": "5", "ItemShops": {"ItemShop": {"itemShopID": "7"}}, "Prices": ""},
            }
        },
        "SalePayments": "",
        "Customer": {
            "Contact": {
                "Addresses": {"ContactAddress": {"city": "Portland"}},
                "Emails": {"ContactEmail": [{"address": "a@b"}, {"address": "c@d"}]},
                "Phones": "",
            }
        },
    }
    out = normalise_record(sale)
    assert out["futureField"] == {"x": "1"}
    assert out["SaleLines"][0]["Item"]["ItemShops"] == [{"itemShopID": "7"}]
    assert out["SaleLines"][0]["Item"]["Prices"] == []
    assert out["SalePayments"] == []
    assert out["Customer"]["Contact"]["Addresses"] == [{"city": "Portland"}]
    assert len(out["Customer"]["Contact"]["Emails"]) == 2 and out["Customer"]["Contact"]["Phones"] == []
    assert normalise_record({"Customer": ""})["Customer"] is None


def test_top_level_records_of_one_many_or_none():
    assert records_in({"Sale": {"saleID": "1"}}, "Sale") == [{"saleID": "1"}]
    assert len(records_in({"Sale": [{"saleID": "1"}, {"saleID": "2"}]}, "Sale")) == 2
    assert records_in({"@attributes": {"next": ""}}, "Sale") == []
    with pytest.raises(LightspeedMalformedResponseError):
        records_in({"Sale": ["not a record"]}, "Sale")


def test_values_are_converted_exactly_and_nonsense_fails_loudly():
    assert to_int("12") == 12 and to_int("-1") == -1 and to_int("3.000") == 3 and to_int("") is None
    assert to_decimal("11.4860025") == Decimal("11.4860025") and to_decimal("34.48") == Decimal("34.48")
    assert to_bool("true") is True and to_bool("false") is False
    assert to_datetime("2016-11-10T13:51:54+00:00") == datetime(2016, 11, 10, 13, 51, 54, tzinfo=UTC)
    assert to_datetime("2016-11-10T08:51:54-05:00") == datetime(2016, 11, 10, 13, 51, 54, tzinfo=UTC)
    for bad, parse in [
        ("abc", to_int),
        ("1.5", to_int),
        ("x", to_decimal),
        ("NaN", to_decimal),
        ("maybe", to_bool),
    ]:
        with pytest.raises(ValueError):
            parse(bad)


def test_both_error_body_shapes_give_lightspeeds_message():
    classic = {
        "httpCode": "404",
        "httpMessage": "Not Found",
        "message": "Object of type 'Employee' not found with primary ID '2'.",
        "errorClass": "Exception",
    }
    oauth = {
        "error": "access_denied",
        "error_description": "The resource owner or authorization server denied the request.",
        "hint": "Access token could not be verified",
    }
    assert error_message(classic) == "Object of type 'Employee' not found with primary ID '2'."
    assert error_message(oauth) == "The resource owner or authorization server denied the request."
    assert error_message(None, "<html><h1>Bad Request</h1></html>") == "Bad Request"


def test_rate_limit_headers_are_read_with_fractions_and_in_any_case():
    reading = BucketReading.from_headers({"x-ls-api-bucket-level": "12.5/90", "X-LS-API-DRIP-RATE": "1.5"})
    assert (reading.level, reading.size, reading.drip_rate) == (12.5, 90.0, 1.5)
    assert parse_bucket_level("75.898271799086/90") == (75.898271799086, 90.0)
    assert parse_bucket_level("garbage") is None


def recorded_interactions():
    if not RECORDED.is_dir():
        return []
    import yaml

    found = []
    for path in sorted(RECORDED.rglob("*.yml")):
        for index, interaction in enumerate(yaml.safe_load(path.read_text())["http_interactions"]):
            found.append(pytest.param(interaction, id=f"{path.relative_to(RECORDED)}#{index}"))
    return found


INTERACTIONS = recorded_interactions()


@pytest.mark.skipif(not INTERACTIONS, reason="../shared/lightspeed/recorded is not present")
@pytest.mark.parametrize("interaction", INTERACTIONS)
def test_every_recorded_response_body_parses_and_normalises(interaction):
    response = interaction["response"]
    body = json.loads(response["body"]["string"])
    status = response["status"]["code"]
    headers = {k: v[0] if isinstance(v, list) else v for k, v in response["headers"].items()}
    BucketReading.from_headers(headers)  # never raises, whatever the header holds

    if status >= 400:
        assert error_message(body, response["body"]["string"])
        return
    entities = [key for key in body if key != "@attributes"]
    for entity in entities:
        for record in records_in(body, entity):
            _assert_regular(record)
            for key in ("itemID", "saleID", "shopID", "customerID", "employeeID", "registerID", "accountID"):
                if record.get(key) not in (None, ""):
                    assert to_int(record[key]) >= 0
            for key in ("timeStamp", "createTime", "completeTime", "updatetime"):
                if record.get(key):
                    assert to_datetime(record[key]).tzinfo is not None
            for key in ("calcTotal", "total", "defaultCost", "avgCost", "calcSubtotal", "unitPrice"):
                if record.get(key) not in (None, ""):
                    to_decimal(record[key])
            for key in ("archived", "voided", "completed"):
                if record.get(key) not in (None, ""):
                    to_bool(record[key])


def _assert_regular(value):
    if isinstance(value, dict):
        for key, inner in value.items():
            if key in COLLECTIONS:
                assert isinstance(inner, list), f"{key} is {type(inner).__name__}"
            _assert_regular(inner)
    elif isinstance(value, list):
        for inner in value:
            _assert_regular(inner)
