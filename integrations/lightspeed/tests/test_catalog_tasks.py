"""The catalog's schedule: what changed goes up within a minute, full passes catch the rest."""

from __future__ import annotations

from datetime import timedelta

from integrations.commerce.models import Company
from integrations.lightspeed import tasks
from integrations.lightspeed.models import ConnectionStatus, LightspeedSettings

from .catalog_support import uploads_not_queued, uploads_on  # noqa: F401 - autouse fixture


def test_what_changed_goes_up_every_minute_and_full_passes_catch_the_rest(settings):
    schedule = {
        name: (entry["task"], entry["schedule"])
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
        if name.startswith(("lightspeed-upload", "lightspeed-products", "lightspeed-reconcile"))
    }

    assert schedule == {
        "lightspeed-upload-changed": ("lightspeed.upload_changed_all", timedelta(seconds=60)),
        "lightspeed-upload-full": ("lightspeed.upload_all", timedelta(minutes=15)),
        "lightspeed-products": ("lightspeed.download_products_all", timedelta(minutes=15)),
        "lightspeed-reconcile": ("lightspeed.reconcile_all", timedelta(minutes=30)),
    }
    assert settings.LIGHTSPEED_UPLOAD_DEBOUNCE_SECONDS == 5  # a change signalled goes up 5 s later
    routes = settings.CELERY_TASK_ROUTES
    assert routes["lightspeed.upload_changed"] == {"queue": "lightspeed.changes"}
    assert routes["lightspeed.upload"] == {"queue": "lightspeed.upload"}
    assert routes["lightspeed.download_products"] == {"queue": "lightspeed.products"}
    assert routes["lightspeed.reconcile"] == {"queue": "lightspeed.reconcile"}


def test_the_minute_tick_queues_every_connected_company_with_an_upload_on(connected, monkeypatch):
    uploads_on(connected)
    idle = Company.objects.create(name="Harbor Goods", email="harbor@example.com")
    LightspeedSettings.objects.filter(company=idle).update(
        enabled=True, connection_status=ConnectionStatus.CONNECTED
    )  # connected, but no Enable … Upload is on
    queued = []
    monkeypatch.setattr(
        tasks.lightspeed_upload_changed,
        "apply_async",
        lambda args, countdown, producer: queued.append(args[0]),
    )

    assert tasks.lightspeed_upload_changed_all() == 1
    assert queued == [connected.company_id]
