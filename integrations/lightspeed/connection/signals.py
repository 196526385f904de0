"""The Lightspeed channel listens to commerce (never the other way round)."""

from __future__ import annotations


def company_created(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        from integrations.lightspeed.models import LightspeedSettings

        LightspeedSettings.objects.get_or_create(company=instance)
