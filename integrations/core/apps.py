from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CoreConfig(AppConfig):
    name = "integrations.core"
    label = "core"
    verbose_name = "LightSync core"

    def ready(self) -> None:
        from datetime import timedelta

        from django.conf import settings

        # /healthz reads the age of the last tick.
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "core-beat-tick", {"task": "core.beat_tick", "schedule": timedelta(minutes=1)}
        )


class LightSyncAdminConfig(admin_apps.AdminConfig):
    """Django's admin, with LightSync's site (integrations/core/admin_site.py) as `admin.site`."""

    default = False  # installed by its dotted path; `integrations.core` itself stays CoreConfig
    default_site = "integrations.core.admin_site.LightSyncAdminSite"
