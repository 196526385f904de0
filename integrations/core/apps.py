from django.apps import AppConfig


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
