"""Injected faults: `POST /_sandbox/faults` arms them, matching requests get them.

A fault matches by method (`*` for any) and a regular expression searched in the path, fires
for the next `count` matching requests (or until removed) and/or with a `probability`, and is
one of: `status` (answer with that status, body and headers without doing the work), `delay`
(wait, then answer normally), `drop` (close the connection without an answer), `malformed`
(do the work, answer 200 with broken JSON) or `truncated` (do the work, cut the body short).
`after: true` on a status or drop fault does the work first, as a gateway timing out after the
write; `query` (a regular expression searched in the query string) narrows the match.
"""

from __future__ import annotations

import json
import random
import re
import threading

from django.db import transaction

from integrations.lightspeed_sandbox.errors import bad_request
from integrations.lightspeed_sandbox.store.models import Fault

KINDS = ("status", "delay", "drop", "malformed", "truncated")
_armed = threading.Event()  # skips the database on every request while no fault is armed
_random = random.Random()


def faults_refresh_flag() -> None:
    if (
        Fault.objects.filter(remaining__isnull=True).exists()
        or Fault.objects.filter(remaining__gt=0).exists()
    ):
        _armed.set()
    else:
        _armed.clear()


def _body_text(body: object) -> str:
    if body is None:
        return ""
    return body if isinstance(body, str) else json.dumps(body)


def fault_create(data: dict) -> Fault:
    kind = data.get("kind", "status")
    if kind not in KINDS:
        raise bad_request(f"kind must be one of {', '.join(KINDS)}.")
    pattern = str(data.get("path", ""))
    try:
        re.compile(pattern)
    except re.error as error:
        raise bad_request(f"path is not a regular expression: {error}") from None
    count = data.get("count")
    fault = Fault.objects.create(
        method=str(data.get("method", "*")).upper(),
        pathPattern=pattern,
        kind=kind,
        status=int(data.get("status", 500)),
        body=_body_text(data.get("body")),
        contentType=str(data.get("content_type", "application/json")),
        delay=float(data.get("delay", 0)),
        remaining=None if count is None else int(count),
        probability=float(data.get("probability", 1.0)),
        # Matching options ride along with the headers, under names no real header has.
        headers={
            **dict(data.get("headers") or {}),
            **({"_after": "1"} if data.get("after") else {}),
            **({"_query": str(data["query"])} if data.get("query") else {}),
        },
    )
    _armed.set()
    return fault


def faults_clear() -> int:
    deleted, _ = Fault.objects.all().delete()
    _armed.clear()
    return deleted


def fault_for(method: str, path: str, query: str = "") -> Fault | None:
    """The first armed fault matching this request, its count taken atomically."""
    if not _armed.is_set():
        return None
    with transaction.atomic():
        for fault in Fault.objects.order_by("pk"):
            if fault.remaining is not None and fault.remaining <= 0:
                continue
            if fault.method not in ("*", method) or not re.search(fault.pathPattern, path):
                continue
            wanted_query = (fault.headers or {}).get("_query")
            if wanted_query and not re.search(wanted_query, query):
                continue
            if fault.probability < 1.0 and _random.random() >= fault.probability:
                continue
            Fault.objects.filter(pk=fault.pk).update(
                hits=fault.hits + 1, remaining=None if fault.remaining is None else fault.remaining - 1
            )
            return fault
    return None


def faults_list() -> list[dict]:
    return [
        {
            "id": f.pk,
            "method": f.method,
            "path": f.pathPattern,
            "kind": f.kind,
            "status": f.status,
            "delay": f.delay,
            "remaining": f.remaining,
            "probability": f.probability,
            "hits": f.hits,
        }
        for f in Fault.objects.order_by("pk")
    ]
