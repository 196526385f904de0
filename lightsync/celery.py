"""The Celery app: configured from Django settings (CELERY_*), tasks discovered in the apps."""

import os
from collections.abc import Iterable
from typing import Any

from celery import Celery
from celery.signals import celeryd_after_setup, worker_shutting_down
from kombu.transport import TRANSPORT_ALIASES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lightsync.settings.local")
# The embedded broker writes each message whole before a worker can read it (integrations/core/broker.py).
TRANSPORT_ALIASES["filesystem"] = "integrations.core.broker:Transport"

app = Celery("lightsync")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def routed_queue_names(task_routes: Any) -> list[str]:
    """The queue names that CELERY_TASK_ROUTES sends tasks to (dict routes; callables are opaque)."""
    routers: Iterable[Any] = task_routes if isinstance(task_routes, list | tuple) else [task_routes]
    names: list[str] = []
    for router in routers:
        if not isinstance(router, dict):
            continue
        for route in router.values():
            name = route if isinstance(route, str) else (route or {}).get("queue")
            if name and name not in names:
                names.append(name)
    return names


@celeryd_after_setup.connect
def consume_routed_queues(sender: str, instance: Any, **kwargs: Any) -> None:
    # Jobs are routed to queues of their own so a long backfill never delays order download. A
    # worker started without -Q (the demo's single worker) must still consume every one of them,
    # while an explicit -Q keeps its narrower selection. Celery exposes no public "was -Q given";
    # `_consume_from` stays None until Queues.select() applies one.
    queues = instance.app.amqp.queues
    narrowed = getattr(queues, "_consume_from", None) is not None
    for name in routed_queue_names(instance.app.conf.task_routes):
        if narrowed:
            queues.add(name)
        else:
            queues.select_add(name)


@worker_shutting_down.connect
def stop_running_jobs(sig: str = "", how: str = "", **kwargs: Any) -> None:
    # A warm shutdown (SIGTERM: a deploy, a restart) stops a job at its next request, progress step
    # or second of waiting: the run is recorded as interrupted, frees its lease and is queued again
    # (integrations.core.shutdown). This reaches jobs running in the worker's own process (the solo
    # and threads pools); a prefork child finishes its task, or is killed and resumed by the sweep.
    from integrations.core import shutdown

    shutdown.request(f"the worker is shutting down ({sig or how or 'warm shutdown'})")
