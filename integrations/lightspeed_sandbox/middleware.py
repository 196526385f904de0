"""Latency and fault injection around every request except the control API's."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from integrations.lightspeed_sandbox import deferred, latency
from integrations.lightspeed_sandbox.errors import SandboxApiError
from integrations.lightspeed_sandbox.services.faults import fault_for


def _dropped() -> Iterator[bytes]:
    # waitress closes the connection without writing a byte when the body iterator raises
    # ClientDisconnected before the first chunk: the client sees the connection drop.
    from waitress.channel import ClientDisconnected

    raise ClientDisconnected("fault injected: connection dropped")
    yield b""  # pragma: no cover - makes this a generator


def fault_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/_sandbox/"):
            return get_response(request)
        fault = fault_for(request.method or "GET", request.path, request.META.get("QUERY_STRING", ""))
        if fault is None:
            return get_response(request)
        if fault.delay:
            time.sleep(fault.delay)
        headers = {k: v for k, v in (fault.headers or {}).items() if not k.startswith("_")}
        if fault.kind == "drop":
            if fault.headers.get("_after"):
                get_response(request)  # the write happened; the answer never arrives
            return StreamingHttpResponse(_dropped())
        if fault.kind == "status":
            if fault.headers.get("_after"):
                get_response(request)
            body = fault.body or json.dumps(SandboxApiError(fault.status, "Injected fault.").body())
            response = HttpResponse(body, status=fault.status, content_type=fault.contentType)
        else:
            response = get_response(request)
            if fault.kind == "malformed":
                response = HttpResponse(
                    b'{"@attributes":{"count":"1"},"Item":{"itemID":"1",',
                    status=200,
                    content_type="application/json",
                )
            elif fault.kind == "truncated":
                content = response.content
                truncated = HttpResponse(
                    content[: max(len(content) // 2, 1)],
                    status=response.status_code,
                    content_type=response.get("Content-Type", "application/json"),
                )
                for name, value in response.items():
                    if name.lower() not in ("content-length", "content-type"):
                        truncated[name] = value
                response = truncated
        for name, value in headers.items():
            response[name] = value
        response["X-Sandbox-Fault"] = fault.kind
        return response

    return middleware


def latency_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Answers after `latency.pick_ms()`: the request is handled (and its drips counted) first.

    Under the sandbox's server the answer is only marked due (`deferred`): the connection sends
    it then and the thread is free at once. Elsewhere (a bare WSGI server) the thread sleeps.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/_sandbox/"):
            return get_response(request)
        delay_ms = latency.pick_ms()
        request.sandbox_latency_ms = delay_ms  # the request log records it
        response = get_response(request)
        if delay_ms:
            if request.META.get(deferred.DEFERS):
                request.META[deferred.ANSWER_DUE] = time.monotonic() + delay_ms / 1000
            else:
                time.sleep(delay_ms / 1000)
        return response

    return middleware
