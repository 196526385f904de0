from datetime import timedelta

from django.apps import AppConfig

VIEW, CHANGE = ["view"], ["view", "change"]
FULL = ["view", "add", "change", "delete"]

# (model, what merchants may do, what ops staff may do)
ROLE_GRANTS = (
    ("LightspeedSettings", CHANGE, FULL),
    ("LightspeedShop", CHANGE, FULL),
    ("LightspeedShopWarehouse", FULL, FULL),
    ("LightspeedRegister", VIEW, VIEW),
    ("LightspeedEmployee", VIEW, VIEW),
    ("SyncRun", VIEW, VIEW),
    ("SyncIssue", CHANGE, FULL),
    ("ProductLink", CHANGE, CHANGE),
    ("MatrixLink", VIEW, CHANGE),
    ("StockDrift", CHANGE, CHANGE),
    ("UploadPreview", VIEW, VIEW),
    ("LightspeedSale", VIEW, VIEW),
    ("UnmatchedItem", VIEW, CHANGE),
    ("Dashboard", VIEW, VIEW),
    ("FreshnessThreshold", [], FULL),  # when the freshness alert fires: ops staff only
)

# Beat: (entry name, task, every). What changed goes up within seconds of the change (debounced, see
# catalog/signals.py), and at the latest within a minute; a full pass, the
# products job and the drift report catch whatever no signal announced (bulk imports, changes in
# Lightspeed); tokens are renewed well before they expire, so jobs rarely refresh themselves;
# operations checks alerts no run reported and prunes old records daily. The periods of the
# orders entry (a safety net: the live loop's probe downloads sales within seconds), of the resume
# sweep and of the live loop's tick are settings.
BEAT = (
    ("lightspeed-upload-changed", "lightspeed.upload_changed_all", timedelta(seconds=60)),
    ("lightspeed-upload-full", "lightspeed.upload_all", timedelta(minutes=15)),
    ("lightspeed-products", "lightspeed.download_products_all", timedelta(minutes=15)),
    ("lightspeed-reconcile", "lightspeed.reconcile_all", timedelta(minutes=30)),
    ("lightspeed-tokens", "lightspeed.refresh_tokens", timedelta(minutes=10)),
    ("lightspeed-alerts", "lightspeed.check_alerts", timedelta(minutes=5)),
    ("lightspeed-retention", "lightspeed.prune_records", timedelta(hours=24)),
)


class LightspeedConfig(AppConfig):
    """The composition root of the Lightspeed channel: the one place that wires the capabilities
    together (signals, issue handlers, roles, beat, queues, metrics), so that none of them has to
    import another that sits above it."""

    name = "integrations.lightspeed"
    label = "lightspeed"
    verbose_name = "Lightspeed POS"

    def ready(self) -> None:
        self._listen()
        self._grant_roles()
        self._schedule()
        self._route_tasks()
        self._export_metrics()

    @staticmethod
    def _listen() -> None:
        from django.db.models.signals import post_save

        from integrations.commerce.models import Company
        from integrations.lightspeed.catalog import signals as catalog_signals
        from integrations.lightspeed.catalog.services import issues as catalog_issues
        from integrations.lightspeed.connection import signals as connection_signals
        from integrations.lightspeed.live import receivers as live_receivers
        from integrations.lightspeed.operations import receivers as operations_receivers

        post_save.connect(
            connection_signals.company_created, sender=Company, dispatch_uid="lightspeed_settings_for_company"
        )
        catalog_signals.connect()
        catalog_issues.register()  # Retry / map to a product for the catalog's issue kinds
        operations_receivers.connect()  # metrics and alerts of finished runs and token refreshes
        live_receivers.connect()  # each finished run's API cost, as work, beside the probes' polling

    @staticmethod
    def _grant_roles() -> None:
        from integrations.commerce import roles

        for model, merchants, ops_staff in ROLE_GRANTS:
            roles.grant(roles.MERCHANTS, f"lightspeed.{model}", merchants)
            roles.grant(roles.OPS_STAFF, f"lightspeed.{model}", ops_staff)

    @staticmethod
    def _schedule() -> None:
        from django.conf import settings

        orders = timedelta(seconds=settings.LIGHTSPEED_ORDERS_EVERY_SECONDS)
        resume = timedelta(seconds=settings.LIGHTSPEED_RESUME_EVERY_SECONDS)
        entries = [
            *BEAT[:4],
            ("lightspeed-orders", "lightspeed.download_orders_all", orders),
            *BEAT[4:],
            ("lightspeed-resume", "lightspeed.resume_interrupted", resume),
        ]
        for name, task, every in entries:
            settings.CELERY_BEAT_SCHEDULE.setdefault(name, {"task": task, "schedule": every})
        tick = settings.LIGHTSPEED_LIVE_TICK_SECONDS
        if tick > 0:
            # The live loop: one small task a tick, whatever the number of companies; a tick not
            # yet picked up when the next is due is dropped (the next one does the same work).
            settings.CELERY_BEAT_SCHEDULE.setdefault(
                "lightspeed-live",
                {
                    "task": "lightspeed.live_tick",
                    "schedule": timedelta(seconds=tick),
                    "options": {"expires": tick * 2},
                },
            )

    @staticmethod
    def _route_tasks() -> None:
        from django.conf import settings

        from integrations.lightspeed.tasks import TASK_QUEUES

        # In place: Celery reads these dicts from the settings object. Short work and long work on
        # different queues (tasks.py, docs/scaling.md).
        settings.CELERY_TASK_ROUTES.update({name: {"queue": queue} for name, queue in TASK_QUEUES.items()})

    @staticmethod
    def _export_metrics() -> None:
        from integrations.core.health import metrics_collector_register
        from integrations.lightspeed.operations.metrics import DatabaseCollector

        metrics_collector_register("lightspeed", DatabaseCollector())
