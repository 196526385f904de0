"""Filters, relations, sort, archived, limits and both kinds of paging."""

import base64
import json

import pytest
import requests

from integrations.lightspeed_sandbox.tests.conftest import Api, as_list, item_body

pytestmark = pytest.mark.e2e


def _seed_items(sandbox, count, **extra):
    records = [
        {
            "description": f"Item {n:05d}",
            "customSku": f"SKU-{n:05d}",
            "upc": f"0{n:011d}",
            "ItemShops": {"ItemShop": {"shopID": 1, "qoh": n % 7}},
            **extra,
        }
        for n in range(1, count + 1)
    ]
    sandbox.seed(records={"Item": records})


def _walk(api, resource, **params):
    payload = api.get(resource, **params)
    pages = [payload]
    while payload["@attributes"]["next"]:
        response = requests.get(
            payload["@attributes"]["next"], headers={"Authorization": f"Bearer {api.token}"}, timeout=30
        )
        assert response.status_code == 200, response.text
        payload = response.json()
        pages.append(payload)
    return pages


def test_cursor_pagination_walks_1200_filtered_sorted_items_exactly_once(sandbox, api):
    _seed_items(sandbox, 1200)
    pages = _walk(
        api, "Item", sort="-description", description="~,Item 0%", limit=100, load_relations='["ItemShops"]'
    )
    seen = [i["description"] for page in pages for i in as_list(page.get("Item"))]
    assert len(seen) == 1200 == len(set(seen))
    assert seen == sorted(seen, reverse=True)
    assert len(pages) == 12
    next_url = pages[0]["@attributes"]["next"]
    assert next_url.startswith(sandbox.api_url + "/API/V3/Account/")
    assert "after=" in next_url and "sort=-description" in next_url and "limit=100" in next_url
    assert "description=" in next_url  # the query is repeated
    # Like Lightspeed's (`after=WzEwMF0%3D`), the cursor is padded base64, percent-encoded in the link.
    assert next_url.endswith("%3D")
    assert pages[0]["@attributes"]["previous"] == ""
    assert pages[-1]["@attributes"]["next"] == ""


def test_previous_links_go_back_one_page(sandbox, api):
    _seed_items(sandbox, 250)
    first = api.get("Item", limit=100)
    second = requests.get(
        first["@attributes"]["next"], headers={"Authorization": f"Bearer {api.token}"}, timeout=30
    ).json()
    back = requests.get(
        second["@attributes"]["previous"], headers={"Authorization": f"Bearer {api.token}"}, timeout=30
    ).json()
    assert [i["itemID"] for i in back["Item"]] == [i["itemID"] for i in first["Item"]]
    assert "before=" in second["@attributes"]["previous"]


def test_a_tampered_cursor_is_refused(api, sandbox):
    _seed_items(sandbox, 3)
    response = api.call("GET", "Item", params={"limit": 1, "after": "not-a-cursor"})
    assert response.status_code == 400


def test_a_cursor_built_by_the_client_is_refused(api, sandbox):
    # The cursor is opaque: one that decodes like the sandbox's own but was not issued by it fails.
    _seed_items(sandbox, 3)
    issued = api.get("Item", limit=1)["@attributes"]["next"]
    assert issued.startswith(api.url("Item"))
    built = base64.urlsafe_b64encode(json.dumps(["itemID", 1, 1]).encode()).decode().rstrip("=")
    response = api.call("GET", "Item", params={"limit": 1, "sort": "itemID", "after": built})
    assert response.status_code == 400
    assert response.json()["message"] == "Invalid pagination cursor."


def test_legacy_paths_page_with_offset_count_and_limit(sandbox):
    _seed_items(sandbox, 230)
    legacy = Api(sandbox, sandbox.mint_tokens()["access_token"], legacy=True)
    first = legacy.get("Item")
    assert first["@attributes"] == {"count": "230", "offset": "0", "limit": "100"}
    last = legacy.get("Item", offset=200)
    assert last["@attributes"] == {"count": "230", "offset": "200", "limit": "100"}
    assert len(last["Item"]) == 30


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", [5]),
        ("=,5", [5]),
        (">,8", [9, 10]),
        (">=,9", [9, 10]),
        ("<,2", [1]),
        ("<=,2", [1, 2]),
        ("><,3,5", [3, 4, 5]),
        ("!=,1", [2, 3, 4, 5, 6, 7, 8, 9, 10]),
        ("IN,[2,4,6]", [2, 4, 6]),
        ("IN,3,5", [3, 5]),
        ("IN,[" + ",".join(str(n) for n in range(1, 101)) + "]", list(range(1, 11))),
    ],
)
def test_numeric_filter_operators(sandbox, api, value, expected):
    _seed_items(sandbox, 10)
    items = as_list(api.get("Item", itemID=value).get("Item"))
    assert [int(i["itemID"]) for i in items] == expected


def test_in_takes_at_most_100_values(api):
    too_many = "IN,[" + ",".join(str(n) for n in range(1, 102)) + "]"
    response = api.call("GET", "Item", params={"itemID": too_many})
    assert response.status_code == 400 and "100" in response.json()["message"]


def test_like_and_not_like_filters(sandbox, api):
    _seed_items(sandbox, 12)
    like = as_list(api.get("Item", description="~,%0001%").get("Item"))
    assert [i["description"] for i in like] == ["Item 00001", "Item 00010", "Item 00011", "Item 00012"]
    unlike = as_list(api.get("Item", description="!~,%0001%").get("Item"))
    assert len(unlike) == 8


def test_or_combines_conditions(sandbox, api):
    _seed_items(sandbox, 10)
    items = as_list(api.get("Item", **{"or": "customSku=SKU-00002|upc=000000000007"}).get("Item"))
    assert [i["itemID"] for i in items] == ["2", "7"]
    # The '=' inside the clause must be percent-encoded, or the query fails.
    raw = requests.get(
        api.url("Item") + "?or=customSku=SKU-00002|itemID=3",
        timeout=10,
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert raw.status_code == 400


def test_dot_filters_reach_one_level_into_a_loaded_relation(sandbox, api):
    _seed_items(sandbox, 14)
    items = as_list(
        api.get("Item", **{"ItemShops.qoh": ">,5", "load_relations": '["ItemShops"]'}).get("Item")
    )
    assert [i["itemID"] for i in items] == ["6", "13"]
    # The relation searched in must be loaded.
    assert api.call("GET", "Item", params={"ItemShops.qoh": ">,5"}).status_code == 400


def test_item_code_matches_id_upc_or_ean(sandbox, api):
    _seed_items(sandbox, 5)
    assert api.get("Item", itemCode="000000000003")["Item"]["itemID"] == "3"
    assert api.get("Item", itemCode="4")["Item"]["itemID"] == "4"
    assert len(api.get("Item", itemCode="IN,[1,000000000002]")["Item"]) == 2
    assert api.call("GET", "Item", params={"itemCode": ">,3"}).status_code == 400


def test_timestamps_filter_in_utc_and_need_an_encoded_offset(sandbox, api):
    sandbox.freeze_clock()  # both items in the same second, however slow the seeding
    _seed_items(sandbox, 2)
    stamp = api.get("Item", itemID="1")["Item"]["timeStamp"]
    assert len(as_list(api.get("Item", timeStamp=f">=,{stamp}").get("Item"))) == 2
    assert "Item" not in api.get("Item", timeStamp=f">,{stamp}")
    # A '+' left unencoded in a query string arrives as a space: Lightspeed refuses the date.
    raw = requests.get(
        api.url("Item") + f"?timeStamp=%3E%3D%2C{stamp.replace('+', '+')}",
        headers={"Authorization": f"Bearer {api.token}"},
        timeout=10,
    )
    assert raw.status_code == 400


def test_a_date_without_offset_is_read_in_the_accounts_time_zone(sandbox, api):
    _seed_items(sandbox, 1)
    stamp = api.get("Item")["Item"]["timeStamp"]  # "YYYY-MM-DDTHH:MM:SS+00:00"
    naive = stamp[:19]
    # New York is behind UTC, so the naive value read as local time lies hours later.
    assert "Item" not in api.get("Item", timeStamp=f">=,{naive}")


def test_load_relations_takes_a_json_array_or_all(sandbox, api):
    api.post("Item", item_body("Related", qoh={1: 2}))
    with_array = api.get("Item", load_relations=json.dumps(["ItemShops"]))["Item"]
    with_all = api.get("Item", load_relations="all")["Item"]
    assert "ItemShops" in with_array and "ItemShops" in with_all
    assert api.call("GET", "Item", params={"load_relations": '["Nope"]'}).status_code == 400
    # A real relation the sandbox does not model is accepted and comes back absent, as an empty one.
    category = api.call("GET", "Item", params={"load_relations": '["Category"]'})
    assert category.status_code == 200 and "Category" not in category.json()["Item"]
    assert api.call("GET", "Item", params={"load_relations": "ItemShops"}).status_code == 400


def test_sort_only_on_whitelisted_fields_with_an_error_listing_them(sandbox, api):
    _seed_items(sandbox, 3)
    descending = api.get("Item", sort="-itemID")["Item"]
    assert [i["itemID"] for i in descending] == ["3", "2", "1"]
    response = api.call("GET", "Item", params={"sort": "customSku"})
    assert response.status_code == 400
    assert "itemID, timeStamp, description" in response.json()["message"]
    assert api.call("GET", "Sale", params={"sort": "completeTime"}).status_code == 200
    assert api.call("GET", "Sale", params={"sort": "updatetime"}).status_code == 200
    assert api.call("GET", "Customer", params={"sort": "description"}).status_code == 400


def test_archived_false_by_default_true_for_all_only_for_archived(sandbox, api):
    _seed_items(sandbox, 3)
    api.call("DELETE", "Item/2")
    assert [i["itemID"] for i in api.get("Item")["Item"]] == ["1", "3"]
    assert len(api.get("Item", archived="true")["Item"]) == 3
    assert api.get("Item", archived="only")["Item"]["itemID"] == "2"


def test_count_cannot_be_combined_with_paging_or_sorting(sandbox, api):
    _seed_items(sandbox, 3)
    assert api.call("GET", "Item", params={"count": "1", "limit": "10"}).status_code == 400
    assert api.call("GET", "Item", params={"count": "1", "sort": "itemID"}).status_code == 400
    assert api.get("Item", count="1", description="~,Item%") == {"@attributes": {"count": "3"}}


def test_legacy_orderby_sorts_on_any_field_at_four_extra_drips(sandbox):
    _seed_items(sandbox, 3)
    legacy = Api(sandbox, sandbox.mint_tokens()["access_token"], legacy=True)
    response = legacy.call("GET", "Item", params={"orderby": "customSku", "orderby_desc": "1"})
    assert [i["customSku"] for i in response.json()["Item"]] == ["SKU-00003", "SKU-00002", "SKU-00001"]
    assert response.headers["X-LS-API-Request-Cost"] == "5"
    assert legacy.call("GET", "Item", params={"offset": "200"}).headers["X-LS-API-Request-Cost"] == "2"


def test_limit_above_100_is_refused_and_limit_pages(sandbox, api):
    _seed_items(sandbox, 5)
    assert api.call("GET", "Item", params={"limit": 101}).status_code == 400
    page = api.get("Item", limit=2)
    assert len(page["Item"]) == 2 and page["@attributes"]["next"]


def test_unknown_filter_fields_are_refused(sandbox, api):
    response = api.call("GET", "Item", params={"colour": "red"})
    assert response.status_code == 400
    assert response.json()["errorClass"] == "Exception"


def test_paging_on_a_timestamp_that_all_rows_share_still_sees_each_row_once(sandbox, api):
    sandbox.freeze_clock()
    _seed_items(sandbox, 250)  # seeded with the clock frozen: one timeStamp for all
    pages = _walk(api, "Item", sort="-timeStamp", limit=40)
    ids = [i["itemID"] for page in pages for i in as_list(page.get("Item"))]
    assert len(ids) == 250 == len(set(ids))
    assert len({i["timeStamp"] for page in pages for i in as_list(page.get("Item"))}) == 1
    back = requests.get(
        pages[-1]["@attributes"]["previous"], headers={"Authorization": f"Bearer {api.token}"}, timeout=10
    ).json()
    assert [i["itemID"] for i in back["Item"]] == [i["itemID"] for i in pages[-2]["Item"]]
