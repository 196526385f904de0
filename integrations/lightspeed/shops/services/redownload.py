"""Re-Download Lightspeed POS Shops (and the download right after Fetch Token), with a report of
what changed: shops and price levels added, renamed or archived, registers and employees."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.contrib.sessions.backends.base import SessionBase
from django.db.models import QuerySet

from integrations.commerce.models import User
from integrations.lightspeed.connection.services.fetch_token import fetch_token_complete
from integrations.lightspeed.jobs.registry import JOBS
from integrations.lightspeed.jobs.runner import job_run
from integrations.lightspeed.models import LightspeedPriceLevel, LightspeedShop, SyncRun

logger = logging.getLogger(__name__)


@dataclass
class ShopsDownloadReport:
    ok: bool
    error: str = ""
    added: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)
    registers: int = 0
    employees: int = 0
    counts: dict = field(default_factory=dict)
    # Price levels come with the shops job; what changed is said the same way as for shops.
    levels_added: list[str] = field(default_factory=list)
    levels_renamed: list[tuple[str, str]] = field(default_factory=list)
    levels_archived: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if not self.ok:
            return f"Shops were not downloaded: {self.error}"
        parts = []
        if self.added:
            parts.append(f"added {', '.join(self.added)}")
        if self.renamed:
            parts.append("renamed " + ", ".join(f"{old} → {new}" for old, new in self.renamed))
        if self.archived:
            parts.append(f"archived {', '.join(self.archived)}")
        changes = "; ".join(parts) if parts else "no shop was added, renamed or archived"
        register_changes = sum(
            self.counts.get(f"registers_{k}", 0) for k in ("created", "updated", "archived")
        )
        employee_changes = sum(
            self.counts.get(f"employees_{k}", 0) for k in ("created", "updated", "archived")
        )
        return (
            f"Downloaded {self.counts.get('shops', 0)} shops, {self.registers} registers and {self.employees} "
            f"employees: {changes}; {register_changes} register and {employee_changes} employee changes. "
            f"{self._levels_summary()}"
        )

    def _levels_summary(self) -> str:
        parts = []
        if self.levels_added:
            parts.append(f"added {', '.join(self.levels_added)}")
        if self.levels_renamed:
            parts.append("renamed " + ", ".join(f"{old} → {new}" for old, new in self.levels_renamed))
        if self.levels_archived:
            parts.append(f"archived {', '.join(self.levels_archived)}")
        changes = "; ".join(parts) if parts else "none added, renamed or archived"
        return f"{self.counts.get('price_levels', 0)} price levels: {changes}."


def _snapshot(rows: QuerySet, key: str) -> dict[int, tuple[str, bool]]:
    return {getattr(row, key): (row.name, row.archived) for row in rows}


def _changes(before: dict[int, tuple[str, bool]], rows: QuerySet, key: str):
    """(added, renamed, archived) between `before` and the rows as they are now, in `rows` order."""
    added: list[str] = []
    renamed: list[tuple[str, str]] = []
    archived: list[str] = []
    for row in rows:
        if getattr(row, key) not in before:
            added.append(row.name)
            continue
        old_name, was_archived = before[getattr(row, key)]
        if old_name != row.name:
            renamed.append((old_name, row.name))
        if row.archived and not was_archived:
            archived.append(row.name)
    return added, renamed, archived


def shops_redownload(*, company_id: int, trigger: str = SyncRun.Trigger.ADMIN) -> ShopsDownloadReport:
    """Downloads shops, registers, employees and price levels now and says what changed."""
    shops = LightspeedShop.objects.filter(company_id=company_id).order_by("name")
    levels = LightspeedPriceLevel.objects.filter(company_id=company_id).order_by("price_level_id")
    shops_before, levels_before = _snapshot(shops, "shop_id"), _snapshot(levels, "price_level_id")
    # A person asked: shops, registers and employees are what a merchant needs to finish the
    # settings before turning Lightspeed POS Enabled on, and downloading them changes no order or
    # stock, so this runs with it off too.
    run = job_run(company_id=company_id, job=JOBS["shops"], trigger=trigger, while_disabled=True)
    if run.outcome not in (SyncRun.Outcome.SUCCEEDED, SyncRun.Outcome.PARTIAL):
        return ShopsDownloadReport(ok=False, error=run.error or run.get_outcome_display())
    report = ShopsDownloadReport(
        ok=True,
        registers=run.counts.get("registers", 0),
        employees=run.counts.get("employees", 0),
        counts=run.counts,
    )
    report.added, report.renamed, report.archived = _changes(shops_before, shops.all(), "shop_id")
    report.levels_added, report.levels_renamed, report.levels_archived = _changes(
        levels_before, levels.all(), "price_level_id"
    )
    return report


def fetch_token_finish(
    *,
    user: User,
    session: SessionBase,
    state: str,
    code: str = "",
    error: str = "",
    error_description: str = "",
):
    """Completes Fetch Token, then downloads the account's shops, registers and employees.

    A merchant's next step is choosing Shop Name, Register ID and EmployeeID from those lists, so
    they are there when the settings page opens. A failed download does not undo the connection:
    the report says so and Re-Download Lightspeed POS Shops tries again.
    """
    settings_obj = fetch_token_complete(
        user=user, session=session, state=state, code=code, error=error, error_description=error_description
    )
    try:
        report = shops_redownload(company_id=settings_obj.company_id, trigger=SyncRun.Trigger.OAUTH)
    except Exception:
        # The connection is made and stored; a bug in the download must not turn that into an
        # error page. The run is recorded as failed by the download itself.
        logger.exception("Shops download after Fetch Token failed for company %s", settings_obj.company_id)
        report = ShopsDownloadReport(
            ok=False,
            error="an unexpected error (recorded for ops staff); use Re-Download Lightspeed POS Shops",
        )
    return settings_obj, report
