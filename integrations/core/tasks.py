"""Tasks of the shared kernel."""

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

PING_CACHE_PREFIX = "core:ping:"
PING_TTL_SECONDS = 60 * 60


def ping_cache_key(token: str) -> str:
    return f"{PING_CACHE_PREFIX}{token}"


@shared_task(name="core.ping", ignore_result=True)
def core_ping(token: str) -> None:
    # Proves a worker is alive and reachable over the configured broker: whoever sent the ping
    # reads the answer from the shared cache (a file cache on the embedded default, Redis otherwise).
    cache.set(ping_cache_key(token), timezone.now().isoformat(), PING_TTL_SECONDS)


@shared_task(name="core.beat_tick", ignore_result=True)
def core_beat_tick() -> None:
    # Sent by beat every minute and run by a worker: /healthz reads its age (beat and a worker alive).
    from integrations.core.health import beat_tick_record

    beat_tick_record()
