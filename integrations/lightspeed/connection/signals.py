"""The Lightspeed channel listens to commerce (never the other way round)."""

from __future__ import annotations

from integrations.lightspeed.models import LightspeedSettings


def company_created(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        LightspeedSettings.objects.get_or_create(company=instance)
