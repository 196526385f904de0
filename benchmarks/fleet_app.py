"""The Celery app of the fleet benchmark's workers and beat: LightSync's own, with the counters of
`benchmarks.fleet_counters` installed first (`celery -A benchmarks.fleet_app worker|beat`)."""

import django

from benchmarks import fleet_counters
from lightsync.celery import app

django.setup()
fleet_counters.install()

__all__ = ["app"]
