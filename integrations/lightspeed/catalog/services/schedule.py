"""Scheduling the upload of what changed: one run per company a few seconds after a burst."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q

from integrations.lightspeed.jobs.enqueue import upload_soon
from integrations.lightspeed.models import LightspeedSettings


def debounce_seconds() -> float:
    return float(getattr(settings, "LIGHTSPEED_UPLOAD_DEBOUNCE_SECONDS", 5))


def upload_debounced(company_id: int) -> bool:
    """Schedules one upload of what is due for the company, unless one is already scheduled."""
    uploads = LightspeedSettings.objects.filter(company_id=company_id, enabled=True).filter(
        Q(inventory_upload_enabled=True) | Q(price_upload_enabled=True) | Q(cost_upload_enabled=True)
    )
    if not uploads.exists():
        return False
    delay = debounce_seconds()
    if not cache.add(f"lightspeed:upload-soon:{company_id}", 1, timeout=max(delay, 1)):
        return False
    upload_soon(company_id=company_id, countdown=delay)
    return True
