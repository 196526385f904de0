"""Jobs made up by a test: the registry holds dotted paths, so a test's body is reached by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from integrations.lightspeed.jobs.registry import Job, JobContext

_bodies: dict[str, Callable[[JobContext], dict[str, Any]]] = {}


def run_test_body(ctx: JobContext) -> dict[str, Any]:
    return _bodies[ctx.run.job](ctx)


def job_for_test(
    name: str, body: Callable[[JobContext], dict[str, Any]], description: str = "a test job"
) -> Job:
    """A job named `name` whose run is `body` (a closure of the test)."""
    _bodies[name] = body
    return Job(name, description, entry=f"{__name__}.run_test_body")
