"""Views of the shared kernel: /healthz and /metrics (no login: for machines)."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from integrations.core.health import health_report, metrics_text


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    status, body = health_report(strict=request.GET.get("strict") in {"1", "true", "yes"})
    return JsonResponse(body, status=status)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not settings.METRICS_ENABLED:
        raise Http404("/metrics is turned off (METRICS_ENABLED=false).")
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            return HttpResponse("Unauthorized\n", status=401, content_type="text/plain")
    return HttpResponse(metrics_text(), content_type=CONTENT_TYPE_LATEST)
