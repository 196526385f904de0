"""What the runner announces, for the layers above it to act on (operations: metrics, alerts)."""

from django.dispatch import Signal

# Sent once per finished run (whatever its outcome), with `run` (SyncRun) and `stats` (the API
# client's ClientStats, or None when the run made no requests).
run_finished = Signal()
