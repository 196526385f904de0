"""A few requests in flight at once, for a job whose round trips, not the bucket, would limit it.

At a few hundred milliseconds a round trip, one request at a time cannot spend a busy account's
drips (a 1-drip request every 0.35 s is under 3 drips/s). A `Window` keeps up to
`LIGHTSPEED_MAX_IN_FLIGHT` requests of one client in flight:

* every request is still reserved in the shared bucket model first (`transport.reserve`, on the
  caller's thread, waiting as the pacer says), so the window never sends faster than the account
  drips or its burst limiter allows;
* only the HTTP exchange runs on the pool's threads (`transport.attempt`); answers are settled
  (headers reconciled, retries decided, errors raised) on the caller's thread, in the order the
  requests were submitted, so a job records its results in order and writes its database there;
* one writer per item: a request with the `key` of one still in flight waits for that one first;
* a 429 pauses the whole window: nothing new is reserved while the caller's thread waits it out,
  and the requests that were already in flight are attempted again after it (transport.py).

`pages_ahead` reads a query's pages with the next page in flight while the caller handles the
current one (cursor paging allows no more than one: the next link comes with the page).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from integrations.lightspeed.api import errors
from integrations.lightspeed.api.transport import MAX_PAGE, RETRY, Call, LightspeedTransport, query_cost

DEFAULT_MAX_IN_FLIGHT = 4


def max_in_flight() -> int:
    return max(1, int(getattr(settings, "LIGHTSPEED_MAX_IN_FLIGHT", DEFAULT_MAX_IN_FLIGHT)))


@dataclass
class Done:
    """A settled request: its body, or the error it ended in; `tag` is what the caller gave."""

    tag: Any
    body: dict[str, Any] | None = None
    error: errors.LightspeedError | None = None


@dataclass(eq=False)
class _Pending:
    call: Call
    key: Hashable | None
    tag: Any
    future: Future = field(repr=False)


class Window:
    def __init__(self, transport: LightspeedTransport, *, size: int | None = None) -> None:
        self.transport = transport
        self.size = max(1, size if size is not None else max_in_flight())
        self._pending: deque[_Pending] = deque()
        self._pool = ThreadPoolExecutor(max_workers=self.size, thread_name_prefix="lightspeed-in-flight")

    def __enter__(self) -> Window:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __len__(self) -> int:
        return len(self._pending)

    def close(self) -> None:
        # Attempts still running finish on their own (their answers are dropped, their drips were
        # counted); nothing is settled after the caller has gone.
        self._pool.shutdown(wait=False, cancel_futures=True)
        for pending in self._pending:
            self.transport.forget(pending.call)
        self._pending.clear()

    def submit(self, call: Call, *, key: Hashable | None = None, tag: Any = None) -> list[Done]:
        """Puts `call` in flight once there is room (and no request with its `key` is in flight);
        returns the requests settled to make that room, oldest first (`ready` gives the rest)."""
        done: list[Done] = []
        while len(self._pending) >= self.size or (
            key is not None and any(p.key == key for p in self._pending)
        ):
            done.append(self._settle_oldest())
        self._pending.append(_Pending(call, key, tag, self._start(call)))
        return done

    def ready(self) -> list[Done]:
        """The requests already answered at the head of the window, settled in order."""
        done = []
        while self._pending and self._pending[0].future.done():
            done.append(self._settle_oldest())
        return done

    def drain(self) -> list[Done]:
        """Every request in flight, settled in order."""
        return [self._settle_oldest() for _ in range(len(self._pending))]

    def _start(self, call: Call) -> Future:
        self.transport.reserve(call)  # this thread: the shared bucket, the token, the stats
        return self._pool.submit(self.transport.attempt, call)

    def _settle_oldest(self) -> Done:
        pending = self._pending[0]
        while True:
            try:
                body = self.transport.settle(pending.call, pending.future.result())
            except errors.LightspeedError as exc:
                self._pending.popleft()
                return Done(pending.tag, error=exc)
            if body is not RETRY:
                self._pending.popleft()
                return Done(pending.tag, body=body)
            pending.future = self._start(pending.call)


def pages_ahead(
    transport: LightspeedTransport, resource: str, *, params: Mapping[str, Any] | None = None
) -> Iterator[dict[str, Any]]:
    """Every page of a query, like `transport.iter_pages`, with the next page already requested
    while the caller handles the one it was given."""
    query = {"limit": MAX_PAGE, **(params or {})}
    cost = query_cost(query)
    url = transport.resource_url(resource)
    followed: set[str] = set()
    with Window(transport, size=1) as window:
        window.submit(Call("GET", url, params=query, cost=cost))
        while True:
            (done,) = window.drain()
            if done.error is not None:
                raise done.error
            body = done.body
            next_url = transport.next_page_url(body, url, followed)
            if next_url is not None:
                url = next_url
                window.submit(Call("GET", url, cost=cost))
            yield body
            if next_url is None:
                return
