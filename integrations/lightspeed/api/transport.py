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
from dataclasses import dataclass, field
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


@dataclass
class _Attempts:
    """Where one request's retries stand: attempts after the first, and whether a 401 was refreshed."""

    count: int = 0
    refreshed: bool = False


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
    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        cost: float = 1.0,
    ) -> dict[str, Any]:
        method = method.upper()
        attempts = _Attempts()
        while True:
            token = self._prepare(cost)
            try:
                response = self._send(method, url, token, params=params, json_body=json_body)
            except requests.Timeout as exc:
                if self._dropped(method, attempts, "timeout"):
                    continue
                raise errors.LightspeedTimeoutError(
                    f"Lightspeed did not answer in time: {exc}", url=url
                ) from exc
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
                # ChunkedEncodingError: the connection dropped while the body was arriving.
                if self._dropped(method, attempts, "connection_error"):
                    continue
                raise errors.LightspeedConnectionError(
                    f"Lightspeed cannot be reached: {exc}", url=url
                ) from exc
            self._observe(response)
            if response.status_code < 300 and response.status_code != 204:
                return self._json(response)
            self._retry_or_raise(method, url, response, token, attempts)

    def _prepare(self, cost: float) -> str:
        """Before each attempt: a heartbeat, the pacer's wait, and a token believed valid."""
        if self.stats.heartbeat is not None:
            self.stats.heartbeat()
        wait = self.pacer.reserve(cost)
        if wait > 0:
            self.sleep(wait)
        token = self.tokens.access_token()
        self.stats.cost += cost
        return token

    def _send(
        self, method: str, url: str, token: str, *, params: Mapping[str, Any] | None, json_body: Any
    ) -> requests.Response:
        return self.session.request(
            method,
            url,
            params=params,
            json=json_body,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=self.timeout,
            allow_redirects=False,
        )

    def _dropped(self, method: str, attempts: _Attempts, status: str) -> bool:
        """A timeout or a dropped connection: True after backing off for another attempt."""
        self.stats.requests += 1
        self.stats.count_status(status)
        if self._may_retry(method, attempts.count):
            attempts.count = self._backoff(attempts.count)
            return True
        return False

    def _observe(self, response: requests.Response) -> None:
        """Counts the answer and feeds its rate-limit headers to the pacer."""
        self.stats.requests += 1
        reading = BucketReading.from_headers(response.headers)
        self.pacer.observe(reading)
        self.stats.observe_bucket(reading)
        self.stats.count_status(str(response.status_code))

    def _retry_or_raise(
        self, method: str, url: str, response: requests.Response, token: str, attempts: _Attempts
    ) -> None:
        """An answer that is not a readable 2xx: returns to try again (after a token refresh or a
        wait), or raises the error of its status."""
        status = response.status_code
        if status == 401:
            if not attempts.refreshed:
                attempts.refreshed = True
                self.stats.refreshes += 1
                self.tokens.refresh_access_token(rejected=token)
                return
            raise self._error(errors.LightspeedUnauthorizedError, response)
        if status == 429:
            self._rate_limited(url, response, attempts)
            return
        if status >= 500:
            if self._may_retry(method, attempts.count):
                attempts.count = self._backoff(attempts.count)
                return
            raise self._error(errors.LightspeedServerError, response)
        if status >= 400:
            raise self._error(_ERRORS_BY_STATUS.get(status, errors.LightspeedBadRequestError), response)
        raise errors.LightspeedMalformedResponseError(
            f"Unexpected HTTP {status} from Lightspeed.", status=status, url=url
        )

    def _rate_limited(self, url: str, response: requests.Response, attempts: _Attempts) -> None:
        """A 429: waits as long as Lightspeed asks (or backs off) before another attempt; raises
        when out of attempts or asked to wait longer than `max_wait`."""
        self.stats.rate_limited += 1
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if attempts.count < self.max_retries and (retry_after is None or retry_after <= self.max_wait):
            attempts.count += 1
            self.stats.retries += 1
            self.sleep(retry_after if retry_after is not None else self._delay(attempts.count))
            return
        raise errors.LightspeedRateLimitedError(
            f"Lightspeed is rate limiting this account (retry after {retry_after or '?'} s).",
            retry_after=retry_after,
            status=429,
            url=url,
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
        cost = _query_cost(query)
        url: str = self.resource_url(resource)
        followed: set[str] = set()
        while True:
            body = self.request("GET", url, params=query, cost=cost)
            yield body
            attributes = body.get("@attributes") or {}
            if not isinstance(attributes, Mapping):
                raise errors.LightspeedMalformedResponseError(
                    "Lightspeed sent @attributes that is not an object.", url=url
                )
            next_url = attributes.get("next") or ""
            if not next_url:
                return
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
            url, query = next_url, None

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


def _query_cost(query: Mapping[str, Any]) -> float:
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
