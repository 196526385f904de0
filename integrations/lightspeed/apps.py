from datetime import timedelta

from django.apps import AppConfig


class LightspeedConfig(AppConfig):
    name = "integrations.lightspeed"
    label = "lightspeed"
    verbose_name = "Lightspeed POS"

    def ready(self) -> None:
        from django.conf import settings
        from django.db.models.signals import post_save

        from integrations.commerce import roles
        from integrations.commerce.models import Company
        from integrations.lightspeed.connection import signals

        post_save.connect(
            signals.company_created, sender=Company, dispatch_uid="lightspeed_settings_for_company"
        )

        roles.grant(roles.MERCHANTS, "lightspeed.LightspeedSettings", ["view", "change"])
        roles.grant(roles.MERCHANTS, "lightspeed.LightspeedShop", ["view", "change"])
        roles.grant(
            roles.MERCHANTS, "lightspeed.LightspeedShopWarehouse", ["view", "add", "change", "delete"]
        )
        for model in ("LightspeedRegister", "LightspeedEmployee", "SyncRun"):
            roles.grant(roles.MERCHANTS, f"lightspeed.{model}", ["view"])
        roles.grant(roles.MERCHANTS, "lightspeed.SyncIssue", ["view", "change"])
        for model in ("LightspeedSettings", "LightspeedShop", "LightspeedShopWarehouse", "SyncIssue"):
            roles.grant(roles.OPS_STAFF, f"lightspeed.{model}", ["view", "add", "change", "delete"])
        for model in ("LightspeedRegister", "LightspeedEmployee", "SyncRun"):
            roles.grant(roles.OPS_STAFF, f"lightspeed.{model}", ["view"])

        from integrations.lightspeed.catalog import signals as signals_catalog

        signals_catalog.connect()
        for model in ("ProductLink", "StockDrift"):
            roles.grant(roles.MERCHANTS, f"lightspeed.{model}", ["view", "change"])
            roles.grant(roles.OPS_STAFF, f"lightspeed.{model}", ["view", "change"])
        for group in (roles.MERCHANTS, roles.OPS_STAFF):
            roles.grant(group, "lightspeed.UploadPreview", ["view"])
        # Catalog: what changed goes up within a minute; a full pass, the products job and the
        # drift report catch whatever no signal announced (bulk imports, changes in Lightspeed).
        for name, task, seconds in (
            ("lightspeed-upload-changed", "lightspeed.upload_changed_all", 60),
            ("lightspeed-upload-full", "lightspeed.upload_all", 15 * 60),
            ("lightspeed-products", "lightspeed.download_products_all", 15 * 60),
            ("lightspeed-reconcile", "lightspeed.reconcile_all", 30 * 60),
        ):
            settings.CELERY_BEAT_SCHEDULE.setdefault(
                name, {"task": task, "schedule": timedelta(seconds=seconds)}
            )

        roles.grant(roles.MERCHANTS, "lightspeed.LightspeedSale", ["view"])
        roles.grant(roles.MERCHANTS, "lightspeed.UnmatchedItem", ["view"])
        roles.grant(roles.OPS_STAFF, "lightspeed.LightspeedSale", ["view"])
        roles.grant(roles.OPS_STAFF, "lightspeed.UnmatchedItem", ["view", "change"])

        from integrations.lightspeed.tasks import JOB_TASKS

        # In place: Celery reads these dicts from the settings object. A queue per job (DESIGN §5).
        settings.CELERY_TASK_ROUTES.update(
            {name: {"queue": f"lightspeed.{job}"} for name, job in JOB_TASKS.items()}
        )
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "lightspeed-orders",
            {
                "task": "lightspeed.download_orders_all",
                "schedule": timedelta(seconds=settings.LIGHTSPEED_ORDERS_EVERY_SECONDS),
            },
        )
        # Renew tokens well before they expire; jobs then rarely need to refresh themselves.
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "lightspeed-tokens",
            {"task": "lightspeed.refresh_tokens", "schedule": timedelta(minutes=10)},
        )
        # Operations: alerts no run reported, daily retention, the dashboard, metrics.
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "lightspeed-alerts", {"task": "lightspeed.check_alerts", "schedule": timedelta(minutes=5)}
        )
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "lightspeed-retention", {"task": "lightspeed.prune_records", "schedule": timedelta(hours=24)}
        )
        for group in (roles.MERCHANTS, roles.OPS_STAFF):
            roles.grant(group, "lightspeed.Dashboard", ["view"])
        from integrations.core.health import metrics_collector_register
        from integrations.lightspeed.operations.metrics import DatabaseCollector

        metrics_collector_register("lightspeed", DatabaseCollector())
