"""Login throttling: the two hooks LightSync gives django-axes (settings: AXES_*, LOGIN_*).

django-axes counts failed logins in the database and refuses a login that is locked out
(lightsync/settings/base.py says what is locked, for how long). Here:

* `client_ip_address`: which address a login comes from. Behind a TLS proxy the connection comes
  from the proxy, so every person would share its address; with TRUSTED_PROXY_COUNT proxies in
  front, each appending the address it was connected from to X-Forwarded-For, the client is the
  entry that many places from the right. Entries further left were written by the client itself
  and prove nothing, so they are never used.
* `locked_out_response`: the page a locked-out login gets — the admin's login look with the
  reason and when to try again, instead of a bare 403.

Ops staff unlock a login by deleting its rows under Axes → Access attempts (see roles).
"""

from __future__ import annotations

import math
from datetime import timedelta

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

LOCKED_OUT_TEMPLATE = "admin/login_locked_out.html"
TOO_MANY_REQUESTS = 429


def client_ip_address(request: HttpRequest) -> str | None:
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < proxies:
        # Fewer entries than proxies: the request did not come through all of them.
        return remote
    return forwarded[-proxies]


def _minutes(cool_off: timedelta) -> str:
    minutes = max(1, math.ceil(cool_off.total_seconds() / 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def locked_out_message() -> str:
    cool_off = settings.AXES_COOLOFF_TIME
    if cool_off:
        when = f"Try again in {_minutes(cool_off)}, or ask LightSync's ops staff to unlock it."
    else:
        when = "Ask LightSync's ops staff to unlock it."
    return f"Too many failed login attempts: logging in is locked. {when}"


def locked_out_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    context = {
        **admin.site.each_context(request),
        "title": "Login locked",
        "message": locked_out_message(),
    }
    return render(request, LOCKED_OUT_TEMPLATE, context, status=TOO_MANY_REQUESTS)
