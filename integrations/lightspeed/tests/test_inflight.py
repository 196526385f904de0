"""Requests in flight together (api/inflight.py): paced by the shared bucket, one writer per item,
a 429 pausing all of them, answers settled in the order the requests were made."""

from __future__ import annotations

import json
import threading

import pytest
from responses import matchers

from integrations.lightspeed.api import errors
from integrations.lightspeed.api.client import LightspeedClient
from integrations.lightspeed.api.inflight import Window, pages_ahead

from .conftest import ACCOUNT_ID, resource_url

GUARD = 10  # seconds: only ever reached when the window failed to overlap the requests (a deadlock)


class StaticTokens:
    def access_token(self) -> str:
        return "a1"

    def refresh_access_token(self, *, rejected: str) -> str:
        raise AssertionError("no refresh expected")


class RecordingPacer:
    """The shared bucket model as the transport sees it: every reservation and every reading."""

    def __init__(self, events: list) -> None:
        self.events = events
        self.threads: set[int] = set()

    def reserve(self, cost: float) -> float:
        self.threads.add(threading.get_ident())
        self.events.append(("reserve", cost))
        return 0.25

    def observe(self, reading) -> None:
        self.threads.add(threading.get_ident())
        self.events.append(("observe", reading.level))


@pytest.fixture
def events() -> list:
    return []


@pytest.fixture
def client(events) -> LightspeedClient:
    return LightspeedClient(
        account_id=ACCOUNT_ID,
        tokens=StaticTokens(),
        pacer=RecordingPacer(events),
        sleep=lambda seconds: events.append(("sleep", seconds)),
    )


def item_answer(item_id: int, *, level: str = "10/90") -> tuple[int, dict, str]:
    body = {"@attributes": {"count": "1"}, "Item": {"itemID": str(item_id)}}
    return 200, {"X-LS-API-Bucket-Level": level, "X-LS-API-Request-Cost": "1.5"}, json.dumps(body)


def put(client: LightspeedClient, item_id: int, qoh: int = 1):
    return client.item_update_call(item_id, qoh_by_shop={1: qoh})


def test_requests_are_in_flight_together_and_answered_in_the_order_they_were_made(client, mocked_lightspeed):
    # Item 1's answer waits until item 3's request has arrived: only requests in flight together
    # can get past that, and item 3 is answered first.
    third_arrived = threading.Event()

    def first(request):
        assert third_arrived.wait(GUARD), "item 3 was not sent while item 1 was in flight"
        return item_answer(1)

    def third(request):
        third_arrived.set()
        return item_answer(3)

    mocked_lightspeed.add_callback("PUT", resource_url("Item", 1), callback=first)
    mocked_lightspeed.add_callback("PUT", resource_url("Item", 2), callback=lambda r: item_answer(2))
    mocked_lightspeed.add_callback("PUT", resource_url("Item", 3), callback=third)

    with Window(client, size=4) as window:
        done = []
        for item_id in (1, 2, 3):
            done += window.submit(put(client, item_id), key=item_id, tag=item_id)
        done += window.drain()

    assert [d.tag for d in done] == [1, 2, 3]
    assert [client.item_updated(d.body)["itemID"] for d in done] == ["1", "2", "3"]


def test_each_request_is_reserved_in_the_shared_bucket_and_settled_on_the_callers_thread(
    client, mocked_lightspeed, events
):
    mocked_lightspeed.add_callback(
        "PUT", resource_url("Item", 1), callback=lambda r: item_answer(1, level="10/90")
    )
    mocked_lightspeed.add_callback(
        "PUT", resource_url("Item", 2), callback=lambda r: item_answer(2, level="11.5/90")
    )

    with Window(client, size=4) as window:
        window.submit(put(client, 1), tag=1)
        window.submit(put(client, 2), tag=2)
        window.drain()

    # Both reserved before either was answered, each waiting as long as the bucket model said.
    assert events[:4] == [("reserve", 1.5), ("sleep", 0.25), ("reserve", 1.5), ("sleep", 0.25)]
    # Lightspeed's level for item 1 was taken before item 2 reached it: item 2's drips are added
    # back; for item 2 nothing else is in flight.
    assert events[4:] == [("observe", 11.5), ("observe", 11.5)]
    assert client.pacer.threads == {threading.get_ident()}
    assert client.stats.cost == 3.0


def test_a_second_write_to_an_item_waits_for_the_answer_to_the_first(client, mocked_lightspeed, events):
    mocked_lightspeed.add_callback("PUT", resource_url("Item", 7), callback=lambda r: item_answer(7))
    mocked_lightspeed.add_callback("PUT", resource_url("Item", 8), callback=lambda r: item_answer(8))

    with Window(client, size=4) as window:
        assert window.submit(put(client, 7, qoh=1), key=7, tag="first") == []
        assert window.submit(put(client, 8), key=8, tag="other") == []
        made_room = window.submit(put(client, 7, qoh=2), key=7, tag="second")
        rest = window.drain()

    # The window had room, yet the first write to item 7 was answered and settled (its reading
    # taken in) before the second one was reserved and sent; the other item's write went on.
    assert [d.tag for d in made_room] == ["first"]
    assert [e[0] for e in events if e[0] != "sleep"] == [
        "reserve",
        "reserve",
        "observe",
        "reserve",
        "observe",
        "observe",
    ]
    assert [d.tag for d in rest] == ["other", "second"]
    bodies = [json.loads(c.request.body) for c in mocked_lightspeed.calls if "/Item/7" in c.request.url]
    assert [b["ItemShops"]["ItemShop"][0]["qoh"] for b in bodies] == ["1", "2"]


def test_a_429_pauses_the_whole_window_once_and_every_request_is_attempted_again(
    client, mocked_lightspeed, events
):
    both_in_flight = threading.Barrier(2, timeout=GUARD)
    limited = (429, {"Retry-After": "3", "X-LS-API-Bucket-Level": "90/90"}, "{}")

    def first_time_limited(item_id):
        answers = iter([limited, item_answer(item_id)])

        def callback(request):
            answer = next(answers)
            if answer is limited:
                both_in_flight.wait()  # both requests were sent before either was refused
            return answer

        return callback

    for item_id in (1, 2):
        mocked_lightspeed.add_callback(
            "PUT", resource_url("Item", item_id), callback=first_time_limited(item_id)
        )

    with Window(client, size=4) as window:
        window.submit(put(client, 1), tag=1)
        window.submit(put(client, 2), tag=2)
        done = window.drain()

    assert [(d.tag, d.error) for d in done] == [(1, None), (2, None)]
    steps = [e for e in events if e[0] != "observe"]
    # One wait of 3 s for the burst of two 429s, and nothing reserved during it.
    assert steps == [
        ("reserve", 1.5),
        ("sleep", 0.25),
        ("reserve", 1.5),
        ("sleep", 0.25),
        ("sleep", 3.0),
        ("reserve", 1.5),
        ("sleep", 0.25),
        ("reserve", 1.5),
        ("sleep", 0.25),
    ]
    assert client.stats.rate_limited == 2 and client.stats.retries == 2
    assert [c.response.status_code for c in mocked_lightspeed.calls].count(429) == 2


def test_a_refused_request_is_reported_in_its_place_and_the_others_still_answered(client, mocked_lightspeed):
    refused = {
        "httpCode": "400",
        "httpMessage": "Bad Request",
        "message": "Item is archived.",
        "errorClass": "Exception",
    }
    mocked_lightspeed.add_callback("PUT", resource_url("Item", 1), callback=lambda r: item_answer(1))
    mocked_lightspeed.put(resource_url("Item", 2), status=400, json=refused)
    mocked_lightspeed.add_callback("PUT", resource_url("Item", 3), callback=lambda r: item_answer(3))

    with Window(client, size=2) as window:
        done = []
        for item_id in (1, 2, 3):
            done += window.submit(put(client, item_id), tag=item_id)
        done += window.drain()

    assert [d.tag for d in done] == [1, 2, 3]
    assert done[0].error is None and done[2].error is None
    assert isinstance(done[1].error, errors.LightspeedBadRequestError)
    assert done[1].error.message == "Item is archived."


def test_pages_ahead_asks_for_the_next_page_before_the_caller_has_handled_this_one(client, mocked_lightspeed):
    next_url = resource_url("Sale") + "?after=abc"
    second_asked = threading.Event()

    def second_page(request):
        second_asked.set()
        return 200, {}, json.dumps({"@attributes": {"next": "", "previous": ""}, "Sale": {"saleID": "2"}})

    mocked_lightspeed.get(
        resource_url("Sale"),
        json={"@attributes": {"next": next_url, "previous": ""}, "Sale": {"saleID": "1"}},
        match=[matchers.query_param_matcher({"limit": "100", "sort": "timeStamp"})],
    )
    mocked_lightspeed.add_callback(
        "GET",
        resource_url("Sale"),
        callback=second_page,
        match=[matchers.query_param_matcher({"after": "abc"})],
    )

    pages = pages_ahead(client, "Sale", params={"sort": "timeStamp"})
    first = next(pages)
    # While the caller holds page 1, page 2 is already on its way.
    assert second_asked.wait(GUARD)
    assert first["Sale"]["saleID"] == "1"
    assert [p["Sale"]["saleID"] for p in pages] == ["2"]
    assert len(mocked_lightspeed.calls) == 2
