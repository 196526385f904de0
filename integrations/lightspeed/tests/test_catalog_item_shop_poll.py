# ruff: noqa: F811 - the imported `lightspeed` fixture is a parameter of the tests
"""The ItemShop poll (what moved in Lightspeed) against the sandbox over real HTTP: its cursor is
(timeStamp, itemShopID), so a second holding hundreds of rows is read once, and a row of a second
it has read that commits later is still seen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.lightspeed.catalog.services.state import item_shops_poll
from integrations.lightspeed.connection.services.client import lightspeed_client_for
from integrations.lightspeed.models import ItemShopState
from integrations.lightspeed.tests.test_catalog_e2e import (  # noqa: F401 - the lightspeed fixture
    Register,
    catalogue,
    connect,
    lightspeed,
    run,
    seed_items,
)

from .catalog_support import product, stock, uploads_not_queued, warehouse  # noqa: F401 - autouse fixture

pytestmark = pytest.mark.e2e

ITEMS = 120  # x 3 shops + the account-wide row: 480 rows of one second, 5 pages


def poll(settings_obj, *, now):
    return item_shops_poll(settings_obj=settings_obj, client=lightspeed_client_for(settings_obj), now=now)


def qoh_seen(item_id: int, shop_id: int) -> int | None:
    return ItemShopState.objects.get(link__item_id=item_id, shop__shop_id=shop_id).qoh_seen


def test_rows_of_one_busy_second_are_read_once_not_on_every_poll(lightspeed, db):
    settings_obj = connect(lightspeed)
    lightspeed.freeze_clock()
    seed_items(lightspeed, ITEMS)  # every row stamped in the same second, as a seed or bulk import
    later = timezone.now() + timedelta(minutes=2)  # that second is long settled

    first = poll(settings_obj, now=later)
    again = poll(settings_obj, now=later + timedelta(seconds=10))

    assert (first.rows, first.requests) == (ITEMS * 4, 5)
    assert (again.rows, again.requests) == (0, 1)

    # A sale a second later is still seen by the next poll.
    catalogue(settings_obj, 3)
    run(settings_obj.company_id, "products")
    lightspeed.advance_clock(1)
    Register(lightspeed).sell(501, quantity=2, shop_id=1)
    after_sale = poll(settings_obj, now=later + timedelta(seconds=20))

    assert after_sale.rows == 2  # the shop's row and the account-wide one
    assert qoh_seen(501, 1) == 3


def test_a_row_of_a_second_already_read_that_commits_later_is_still_seen(lightspeed, db):
    settings_obj = connect(lightspeed)
    lightspeed.freeze_clock()  # everything below happens in one Lightspeed second
    seed_items(lightspeed, 3)
    catalogue(settings_obj, 3)
    run(settings_obj.company_id, "products")
    now = timezone.now()
    assert poll(settings_obj, now=now).rows == 12

    # The lowest itemShopID of that second changes after the poll read the whole second.
    Register(lightspeed).sell(500, quantity=1, shop_id=1)
    seen = poll(settings_obj, now=now + timedelta(seconds=1))

    state = ItemShopState.objects.get(link__item_id=500, shop__shop_id=1)
    assert state.qoh_seen == 4 and (state.link_id, state.shop_id) in seen.moved


def test_a_burst_of_writes_is_read_once_more_as_the_poll_takes_it_then_never_again(lightspeed, db):
    settings_obj = connect(lightspeed)
    lightspeed.freeze_clock()
    seed_items(lightspeed, ITEMS)  # a burst (a full upload, an import) this very second
    catalogue(settings_obj, 3)
    run(settings_obj.company_id, "products")
    lightspeed.advance_clock(6)
    Register(lightspeed).sell(501, quantity=1, shop_id=1)  # Lightspeed's clock has passed the burst
    now = timezone.now()  # by our clock, allowing for the skew, nothing is settled yet

    seen = poll(settings_obj, now=now)
    taken = poll(settings_obj, now=now + timedelta(seconds=1))
    after = poll(settings_obj, now=now + timedelta(seconds=2))

    assert seen.rows == taken.rows == ITEMS * 4  # the sold item's two rows among them, stamped 6 s later
    assert (after.rows, after.requests) == (2, 1)  # only those two, within the commit lag of the newest
