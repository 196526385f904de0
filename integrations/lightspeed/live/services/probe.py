"""The change probe: one 1-drip request tells whether the order download has anything to read.

The client's `get_newest_sale_change()` asks for the sale Lightspeed changed last (no relations).
Every change to a sale moves its `updatetime` — ringing up, completing, voiding — so when that
sale is no newer than the order download's updatetime cursor (and not a second sale of the same
second), nothing has happened since the last orders run and nothing else is asked. Otherwise the
orders job runs at once, in this process, reading only what changed (`live=True`).

The next probe is scheduled at an interval derived from the account's drip rate, so that polling
spends a fixed share of the budget whatever the account's size: `LIGHTSPEED_LIVE_IDLE_SHARE` while
nothing happens, `LIGHTSPEED_LIVE_ACTIVE_SHARE` for `LIGHTSPEED_LIVE_ACTIVE_SECONDS` after a
change (sales come in runs), never more often than every `LIGHTSPEED_LIVE_MIN_SECONDS`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from integrations.core.locks import company_job_lock_name, lock_is_held
from integrations.lightspeed.api import errors
from integrations.lightspeed.api.client import ClientStats
from integrations.lightspeed.api.records.fields import RecordParseError
from integrations.lightspeed.api.records.sales import SaleChange, sale_change_parse
from integrations.lightspeed.connection.services.client import lightspeed_client_for
from integrations.lightspeed.jobs.registry import JOBS, LIVE, job_refusal
from integrations.lightspeed.jobs.runner import job_run
from integrations.lightspeed.live.services.freshness import api_usage_record
from integrations.lightspeed.models import LightspeedSettings, LiveState, OrderCursor, SyncRun

logger = logging.getLogger(__name__)

PROBE_COST = 1.0  # drips: one plain request
# What a live orders run counts when it changed nothing here: such a run is not kept, or a shop's
# every ring-up would add one to the list of runs.
QUIET_COUNTS = {"changes_read", "sales_read", "already_imported", "open", "other_shops", "before_start"}


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def probe_interval(*, drip_rate: float | None, last_change_at: datetime | None, now: datetime) -> float:
    """Seconds until the next probe: the share of the drip budget polling may spend, as an interval."""
    drip = drip_rate or 1.0
    floor = _setting("LIGHTSPEED_LIVE_MIN_SECONDS", 2)
    idle = max(PROBE_COST / (_setting("LIGHTSPEED_LIVE_IDLE_SHARE", 0.10) * drip), floor)
    recent = _setting("LIGHTSPEED_LIVE_ACTIVE_SECONDS", 120)
    if last_change_at is not None and (now - last_change_at).total_seconds() < recent:
        return min(max(PROBE_COST / (_setting("LIGHTSPEED_LIVE_ACTIVE_SHARE", 0.25) * drip), floor), idle)
    return idle


def refused_interval() -> float:
    """A company the orders job refuses (set up halfway, re-authorization needed) is looked at
    again this often, without a request."""
    return _setting("LIGHTSPEED_LIVE_REFUSED_SECONDS", 60)


@dataclass
class ProbeOutcome:
    probed: bool = False
    changed: bool = False
    run: SyncRun | None = None
    interval: float = 0.0
    reason: str = ""
    # Every sale change Lightspeed had when the probe asked is downloaded (none was new, or the
    # orders run it started read them all).
    caught_up: bool = False


def live_probe(*, company_id: int, clock: Callable[[], datetime] = timezone.now) -> ProbeOutcome:
    """Probes the company's sales for a change; runs the orders job when there is one; schedules
    the next probe. Never raises for Lightspeed's errors: the next probe comes anyway (slower).
    `clock` is our clock for the schedule (tests simulate minutes with it)."""
    state = LiveState.objects.filter(company_id=company_id).first()
    settings_obj = LightspeedSettings.objects.select_related("company").filter(company_id=company_id).first()
    if state is None or settings_obj is None:
        return ProbeOutcome(reason="no live state")
    refusal = job_refusal(settings_obj, JOBS["orders"]) or (
        None if settings_obj.order_download_enabled else "Enable Order Download is off."
    )
    if refusal:
        return _schedule(state, ProbeOutcome(reason=refusal), refused_interval(), clock)
    if lock_is_held(company_job_lock_name(company_id, "orders")):
        # A run is reading now (a backfill, a scheduled run); it sees what the probe would.
        return _schedule(state, ProbeOutcome(reason="orders run in progress"), _interval(state, clock), clock)
    started = clock()
    stats = ClientStats()
    try:
        newest = _newest_change(settings_obj, stats)
    except errors.LightspeedError as exc:
        logger.warning("The change probe of company %s failed: %s", company_id, exc.message)
        _usage(company_id, stats, started)
        # A failing account is probed at the idle pace, whatever came before: the scheduled
        # orders run records the failure where ops staff see it.
        return _schedule(state, ProbeOutcome(probed=True, reason=exc.message), _idle(state), clock)
    _usage(company_id, stats, started)
    state.drip_rate = stats.drip_rate or state.drip_rate
    state.last_probe_at = started
    outcome = ProbeOutcome(probed=True)
    if _is_news(state, newest, company_id):
        outcome.changed = True
        state.last_change_at = started
        outcome.run = run = job_run(company_id=company_id, job=JOBS["orders"], fields=frozenset({LIVE}))
        if run.outcome != SyncRun.Outcome.SUCCEEDED:
            # Recorded (and, past its retries, an issue); asking again every few seconds would
            # only repeat it.
            return _schedule(state, outcome, max(_idle(state), refused_interval()), clock)
        if newest is not None:
            state.seen_update_time, state.seen_sale_id = newest.update_time, newest.sale_id
        outcome.caught_up = True
        if not set(run.counts) - QUIET_COUNTS:
            run.delete()  # it read a change that made no order (a sale rung up, not yet paid)
            outcome.run = None
    else:
        state.caught_up_at, outcome.caught_up = started, True
        if newest is not None:
            state.seen_update_time, state.seen_sale_id = newest.update_time, newest.sale_id
    return _schedule(state, outcome, _interval(state, clock), clock)


def _newest_change(settings_obj: LightspeedSettings, stats: ClientStats) -> SaleChange | None:
    record = lightspeed_client_for(settings_obj, stats=stats).get_newest_sale_change()
    if record is None:
        return None
    try:
        return sale_change_parse(record)
    except RecordParseError as exc:
        # Unreadable, so unknown: the orders run reads it properly and records what is wrong.
        logger.warning("The change probe could not read sale %s: %s", record.get("saleID"), exc)
        return SaleChange(sale_id=0, completed=False, voided=False, shop_id=0, update_time=None)


def _is_news(state: LiveState, newest: SaleChange | None, company_id: int) -> bool:
    """Whether the newest change is one the order download has not read yet."""
    if newest is None:
        return False  # no sale at all
    read_up_to = (
        OrderCursor.objects.filter(company_id=company_id).values_list("updates_after", flat=True).first()
    )
    if read_up_to is None or newest.update_time is None:
        return True  # never downloaded, or a time we cannot compare: let the download judge
    if newest.update_time != read_up_to or state.seen_update_time is None:
        return newest.update_time > read_up_to  # (a first probe takes the cursor's second as read)
    # The very second the cursor reached: news when it is another sale than the last probe saw
    # (a second sale changed in that second after the run read it).
    return (newest.update_time, newest.sale_id) != (state.seen_update_time, state.seen_sale_id)


def _interval(state: LiveState, clock: Callable[[], datetime]) -> float:
    return probe_interval(drip_rate=state.drip_rate, last_change_at=state.last_change_at, now=clock())


def _idle(state: LiveState) -> float:
    return probe_interval(drip_rate=state.drip_rate, last_change_at=None, now=timezone.now())


def _usage(company_id: int, stats: ClientStats, at: datetime) -> None:
    api_usage_record(
        company_id=company_id,
        drips=stats.cost,
        requests=stats.requests,
        polling=True,
        drip_rate=stats.drip_rate,
        at=at,
    )


def _schedule(
    state: LiveState, outcome: ProbeOutcome, interval: float, clock: Callable[[], datetime]
) -> ProbeOutcome:
    """Sets the next probe `interval` seconds from now (the end of this one, orders run included)."""
    outcome.interval = state.interval_seconds = interval
    state.next_probe_at = clock() + timedelta(seconds=interval)
    state.save()
    return outcome
