"""The HTTP side of the Lightspeed client: one request loop and cursor paging.

Every request has explicit timeouts, is paced from the rate-limit headers through a shared
pacer, renews the token once on a 401 and replays, waits out 429s, backs off on 5xx, timeouts
and dropped connections, and ends in a parsed JSON object or one of the errors of `errors.py`:
a failure is never turned into an empty result.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests
from django.conf import settings

from integrations.core.http import DEFAULT_TIMEOUT, backoff_delay, parse_retry_after
from integrations.lightspeed.api import errors
from integrations.lightspeed.api.normalise import error_message, records_in
from integrations.lightspeed.api.pacing import BucketReading, Pacer, Unpaced

MAX_PAGE = 100  # Lightspeed's largest page, and its largest IN list
IDEMPOTENT = {"GET", "HEAD", "PUT", "DELETE"}


class TokenProvider(Protocol):
    def access_token(self) -> str:
        """A token believed valid (refreshed first when it is about to expire)."""

    def refresh_access_token(self, *, rejected: str) -> str:
        """A new token after Lightspeed rejected `rejected` (refreshes at most once per token)."""


@dataclass
class ClientStats:
    requests: int = 0
    rate_limited: int = 0
    retries: int = 0
    refreshes: int = 0
    # For operations (SyncRun, /metrics): what the requests cost and how full the bucket got.
    cost: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)
    bucket_peak: float | None = None
    bucket_size: float | None = None
    drip_rate: float | None = None
    # Called before every request attempt: a run's heartbeat (services.progress.RunProgress.beat),
    # so a run waiting on Lightspeed (pacing, Retry-After, backoff) still shows it is alive.
    heartbeat: Callable[[], None] | None = field(default=None, repr=False, compare=False)

    def count_status(self, status: str) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1

    def observe_bucket(self, reading: BucketReading) -> None:
        if reading.level is not None:
            self.bucket_peak = max(self.bucket_peak or 0.0, reading.level)
        if reading.size:
            self.bucket_size = reading.size
        if reading.drip_rate:
            self.drip_rate = reading.drip_rate


RETRY = object()  # `settle`'s answer when the request is to be attempted again


@dataclass(eq=False)
class Call:
    """One request and where its retries stand: attempts after the first, whether a 401 was
    refreshed, and the token of the current attempt."""

    method: str
    url: str
    params: Mapping[str, Any] | None = None
    json_body: Any = None
    cost: float = 1.0
    attempts: int = 0
    refreshed: bool = False
    token: str = ""
    pauses_seen: int = 0

    def __post_init__(self) -> None:
        self.method = self.method.upper()


@dataclass
class Outcome:
    """What one attempt came back with: an answer, or the failure that stopped it."""

    response: requests.Response | None = None
    failure: Exception | None = None


class LightspeedTransport:
    def __init__(
        self,
        *,
        account_id: str | int,
        tokens: TokenProvider,
        base_url: str | None = None,
        pacer: Pacer | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        max_retries: int = 5,
        max_wait: float = 120.0,
        stats: ClientStats | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.account_id = str(account_id)
        self.tokens = tokens
        self.base_url = (base_url or settings.LIGHTSPEED_API_URL).rstrip("/")
        host = urlsplit(self.base_url)
        self._origin = (host.scheme, host.netloc)
        self.pacer = pacer or Unpaced()
        self.session = session or requests.Session()
        self.sleep = sleep
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_wait = max_wait
        self.stats = stats or ClientStats()
        self.rng = rng
        self._outstanding: dict[int, float] = {}  # id(call) -> drips reserved, not yet settled
        self._pauses = 0  # 429 pauses so far: a call reserved before the last one was covered by it

    # --- URLs ------------------------------------------------------------------------------
    def resource_url(self, resource: str, record_id: int | str | None = None) -> str:
        if not self.account_id:
            raise errors.LightspeedNotConnectedError("No Lightspeed account id is known yet.")
        suffix = f"/{int(record_id)}" if record_id is not None else ""
        return f"{self.base_url}/API/V3/Account/{self.account_id}/{resource}{suffix}.json"

    def _check_same_host(self, url: str) -> None:
        parts = urlsplit(url)
        if (parts.scheme, parts.netloc) != self._origin:
            # The token goes with every request: never follow a link off the API host.
            raise errors.LightspeedMalformedResponseError(
                f"Lightspeed's next page points off the API host ({parts.netloc or 'no host'}).", url=url
            )

    # --- the one request loop ------------------------------------------------------------
    # A request is three steps, so that several can be in flight (api/inflight.py) while the
    # bucket, the token and the stats are only touched on the caller's thread:
    #   reserve  its drips in the shared bucket model (waiting as the model asks) and a token;
    #   attempt  the HTTP exchange alone (safe on any thread; returns the answer or the failure);
    #   settle   the answer reconciled with the bucket headers, then a body, RETRY, or an error.
    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        cost: float = 1.0,
    ) -> dict[str, Any]:
        return self.perform(Call(method, url, params=params, json_body=json_body, cost=cost))

    def perform(self, call: Call) -> dict[str, Any]:
        """One request, attempted until it has a body or an error, on this thread."""
        while True:
            self.reserve(call)
            body = self.settle(call, self.attempt(call))
            if body is not RETRY:
                return body

    def reserve(self, call: Call) -> None:
        """Before each attempt: a heartbeat, the pacer's wait, and a token believed valid."""
        if self.stats.heartbeat is not None:
            self.stats.heartbeat()
        wait = self.pacer.reserve(call.cost)
        if wait > 0:
            self.sleep(wait)
        call.token = self.tokens.access_token()
        self.stats.cost += call.cost
        self._outstanding[id(call)] = call.cost
        call.pauses_seen = self._pauses

    def forget(self, call: Call) -> None:
        """A reserved call whose answer will not be settled (its caller stopped waiting)."""
        self._outstanding.pop(id(call), None)

    def attempt(self, call: Call) -> Outcome:
        """The HTTP exchange of one attempt: touches neither the database nor the shared state."""
        try:
            response = self.session.request(
                call.method,
                call.url,
                params=call.params,
                json=call.json_body,
                headers={"Authorization": f"Bearer {call.token}", "Accept": "application/json"},
                timeout=self.timeout,
                allow_redirects=False,
            )
        except (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            # ChunkedEncodingError: the connection dropped while the body was arriving.
            return Outcome(failure=exc)
        return Outcome(response=response)

    def settle(self, call: Call, outcome: Outcome) -> dict[str, Any] | object:
        """One attempt's answer: its body, RETRY (after any refresh or wait), or its error raised."""
        self._outstanding.pop(id(call), None)
        if outcome.failure is not None:
            return self._dropped(call, outcome.failure)
        response = outcome.response
        self._observe(response)
        if response.status_code < 300 and response.status_code != 204:
            return self._json(response)
        self._retry_or_raise(call, response)
        return RETRY

    def _dropped(self, call: Call, exc: Exception) -> object:
        """A timeout or a dropped connection: RETRY after backing off, or its error raised."""
        timeout = isinstance(exc, requests.Timeout)
        self.stats.requests += 1
        self.stats.count_status("timeout" if timeout else "connection_error")
        if self._may_retry(call.method, call.attempts):
            call.attempts = self._backoff(call.attempts)
            return RETRY
        if timeout:
            raise errors.LightspeedTimeoutError(
                f"Lightspeed did not answer in time: {exc}", url=call.url
            ) from exc
        raise errors.LightspeedConnectionError(f"Lightspeed cannot be reached: {exc}", url=call.url) from exc

    def _observe(self, response: requests.Response) -> None:
        """Counts the answer and feeds its rate-limit headers to the pacer.

        The level Lightspeed reports was taken when it handled this request: the drips this
        client reserved for requests still in flight are not in it yet, so they are added back
        (one of them already counted there only makes the model cautious by its cost)."""
        self.stats.requests += 1
        reading = BucketReading.from_headers(response.headers)
        in_flight = sum(self._outstanding.values())
        if reading.level is not None and in_flight:
            reading = replace(reading, level=reading.level + in_flight)
        self.pacer.observe(reading)
        self.stats.observe_bucket(reading)
        self.stats.count_status(str(response.status_code))

    def _retry_or_raise(self, call: Call, response: requests.Response) -> None:
        """An answer that is not a readable 2xx: returns to try again (after a token refresh or a
        wait), or raises the error of its status."""
        status = response.status_code
        if status == 401:
            if not call.refreshed:
                call.refreshed = True
                self.stats.refreshes += 1
                self.tokens.refresh_access_token(rejected=call.token)
                return
            raise self._error(errors.LightspeedUnauthorizedError, response)
        if status == 429:
            self._rate_limited(call, response)
            return
        if status >= 500:
            if self._may_retry(call.method, call.attempts):
                call.attempts = self._backoff(call.attempts)
                return
            raise self._error(errors.LightspeedServerError, response)
        if status >= 400:
            raise self._error(_ERRORS_BY_STATUS.get(status, errors.LightspeedBadRequestError), response)
        raise errors.LightspeedMalformedResponseError(
            f"Unexpected HTTP {status} from Lightspeed.", status=status, url=call.url
        )

    def _rate_limited(self, call: Call, response: requests.Response) -> None:
        """A 429: waits as long as Lightspeed asks (or backs off) before another attempt; raises
        when out of attempts or asked to wait longer than `max_wait`.

        The wait pauses every request of this client (they are all reserved on this thread). With
        several in flight, a 429 to a request sent before the last pause began was covered by
        that pause: it is attempted again without a pause of its own, so one burst of 429s
        costs one wait, not one each."""
        self.stats.rate_limited += 1
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if call.attempts < self.max_retries and (retry_after is None or retry_after <= self.max_wait):
            call.attempts += 1
            self.stats.retries += 1
            if call.pauses_seen == self._pauses:
                self._pauses += 1
                self.sleep(retry_after if retry_after is not None else self._delay(call.attempts))
            return
        raise errors.LightspeedRateLimitedError(
            f"Lightspeed is rate limiting this account (retry after {retry_after or '?'} s).",
            retry_after=retry_after,
            status=429,
            url=call.url,
            body=response.text,
        )

    def _may_retry(self, method: str, attempt: int) -> bool:
        # A POST that timed out or failed on the server may still have created its record:
        # retrying it could create a second one, so only idempotent requests are repeated.
        return method in IDEMPOTENT and attempt < self.max_retries

    def _delay(self, attempt: int) -> float:
        return backoff_delay(attempt, base=1.0, cap=min(30.0, self.max_wait), rng=self.rng)

    def _backoff(self, attempt: int) -> int:
        attempt += 1
        self.stats.retries += 1
        self.sleep(self._delay(attempt))
        return attempt

    @staticmethod
    def _error(cls: type[errors.LightspeedError], response: requests.Response) -> errors.LightspeedError:
        try:
            body = response.json()
        except ValueError:
            body = None
        message = error_message(body, response.text) or f"HTTP {response.status_code}"
        return cls(message, status=response.status_code, url=response.url, body=response.text)

    @staticmethod
    def _json(response: requests.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError as exc:
            raise errors.LightspeedMalformedResponseError(
                f"Lightspeed sent a body that is not JSON ({len(response.content)} bytes).",
                status=response.status_code,
                url=response.url,
                body=response.text,
            ) from exc
        if not isinstance(body, dict):
            raise errors.LightspeedMalformedResponseError(
                f"Lightspeed sent JSON {type(body).__name__}, not an object.",
                url=response.url,
                body=response.text,
            )
        return body

    # --- paging ----------------------------------------------------------------------------
    def iter_pages(
        self, resource: str, *, params: Mapping[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every page of a query, following `next` exactly as Lightspeed gives it."""
        query = {"limit": MAX_PAGE, **(params or {})}
        cost = query_cost(query)
        url: str | None = self.resource_url(resource)
        params_now: Mapping[str, Any] | None = query
        followed: set[str] = set()
        while url is not None:
            body = self.request("GET", url, params=params_now, cost=cost)
            yield body
            url, params_now = self.next_page_url(body, url, followed), None

    def next_page_url(self, body: dict[str, Any], url: str, followed: set[str]) -> str | None:
        """The page after `body` (read from `url`), or None; `followed` holds the links taken."""
        attributes = body.get("@attributes") or {}
        if not isinstance(attributes, Mapping):
            raise errors.LightspeedMalformedResponseError(
                "Lightspeed sent @attributes that is not an object.", url=url
            )
        next_url = attributes.get("next") or ""
        if not next_url:
            return None
        if not isinstance(next_url, str):
            raise errors.LightspeedMalformedResponseError(
                "Lightspeed sent a `next` that is not a URL.", url=url
            )
        self._check_same_host(next_url)
        if next_url in followed:
            raise errors.LightspeedMalformedResponseError(
                "Lightspeed's pages lead back to a page already read.", url=next_url
            )
        followed.add(next_url)
        return next_url

    def iter_record_pages(
        self, resource: str, *, params: Mapping[str, Any] | None = None, entity: str | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """The records of every page, normalised, a page at a time; a page with none is skipped."""
        for page in self.iter_pages(resource, params=params):
            records = records_in(page, entity or resource)
            if records:
                yield records

    def iter_records(
        self, resource: str, *, params: Mapping[str, Any] | None = None, entity: str | None = None
    ) -> Iterator[dict[str, Any]]:
        for records in self.iter_record_pages(resource, params=params, entity=entity):
            yield from records

    # --- resources -------------------------------------------------------------------------


def query_cost(query: Mapping[str, Any]) -> float:
    """Lightspeed's drip cost of a query: 1, plus up to 0.4 per loaded relation (to-many, doubled)."""
    relations = query.get("load_relations")
    if not relations:
        return 1.0
    if relations == "all":
        return 5.0  # unknown number of relations: reserve generously, the headers correct it
    try:
        return 1.0 + 0.4 * len(json.loads(relations))
    except (TypeError, ValueError):
        return 2.0


_ERRORS_BY_STATUS: dict[int, type[errors.LightspeedError]] = {
    400: errors.LightspeedBadRequestError,
    403: errors.LightspeedForbiddenError,
    404: errors.LightspeedNotFoundError,
    405: errors.LightspeedBadRequestError,
    409: errors.LightspeedBadRequestError,
    422: errors.LightspeedBadRequestError,
}
