"""Manage Lightspeed Shops: saving the shop → warehouses/employee/register mapping, and
re-downloading the shops (and price levels) with a report of what changed."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from integrations.commerce.models import Company, User, Warehouse
from integrations.core.changelog import changelog_record, field_values
from integrations.core.locks import company_job_lock
from integrations.core.models import ChangeLog
from integrations.lightspeed.api import errors
from integrations.lightspeed.api.client import ClientStats
from integrations.lightspeed.connection.services.core import lightspeed_client_for
from integrations.lightspeed.jobs import runner as runs
from integrations.lightspeed.jobs.registry import JOBS, JobContext
from integrations.lightspeed.jobs.runner import job_run
from integrations.lightspeed.models import (
    LightspeedEmployee,
    LightspeedPriceLevel,
    LightspeedRegister,
    LightspeedSettings,
    LightspeedShop,
    LightspeedShopWarehouse,
    SyncIssue,
    SyncRun,
)

logger = logging.getLogger(__name__)


class ShopMappingRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ShopMappingRow:
    shop_id: int  # LightspeedShop.pk
    warehouse_ids: tuple[int, ...]  # in drawing order
    employee_id: int | None = None  # LightspeedEmployee.pk
    register_id: int | None = None  # LightspeedRegister.pk


def shop_mapping_check(*, company: Company, row: ShopMappingRow) -> None:
    """Raises ShopMappingRefused when the row names anything the company cannot map."""
    shop = LightspeedShop.objects.filter(company=company, pk=row.shop_id).first()
    if shop is None:
        raise ShopMappingRefused("This shop is not one of the company's Lightspeed shops.")
    if len(set(row.warehouse_ids)) != len(row.warehouse_ids):
        raise ShopMappingRefused(f"{shop.name}: a warehouse is listed twice.")
    warehouses = {w.pk: w for w in Warehouse.objects.filter(company=company, pk__in=row.warehouse_ids)}
    if len(warehouses) != len(row.warehouse_ids):
        raise ShopMappingRefused(f"{shop.name}: a warehouse is not one of the company's warehouses.")
    not_sellable = [warehouses[pk].name for pk in row.warehouse_ids if not warehouses[pk].is_sellable]
    if not_sellable:
        raise ShopMappingRefused(
            f"{shop.name}: {', '.join(not_sellable)} is not sellable, so its stock cannot be offered in a shop."
        )
    if row.register_id is not None:
        register = LightspeedRegister.objects.filter(company=company, pk=row.register_id).first()
        if register is None or register.shop_id != shop.pk:
            raise ShopMappingRefused(f"{shop.name}: the register must be one of this shop's registers.")
    if row.employee_id is not None:
        employee = LightspeedEmployee.objects.filter(company=company, pk=row.employee_id).first()
        if employee is None:
            raise ShopMappingRefused(f"{shop.name}: the employee is not one of the downloaded employees.")
        if employee.limit_to_shop_id and employee.limit_to_shop_id != shop.shop_id:
            raise ShopMappingRefused(f"{shop.name}: {employee} may only work in another shop at Lightspeed.")


def _warehouse_names(shop: LightspeedShop) -> str:
    return ", ".join(
        link.warehouse.name
        for link in shop.warehouse_links.select_related("warehouse").order_by("position", "id")
    )


@transaction.atomic
def shop_mapping_save(*, company: Company, rows: list[ShopMappingRow], actor: User | None) -> int:
    """Stores every row in one transaction (all or nothing) with its change log. Returns the
    number of shops whose mapping changed."""
    for row in rows:
        shop_mapping_check(company=company, row=row)
    changed = 0
    content_type = ContentType.objects.get_for_model(LightspeedShop)
    for row in rows:
        shop = LightspeedShop.objects.select_for_update().get(company=company, pk=row.shop_id)
        before = field_values(shop, ["employee", "register"])
        old_warehouses = _warehouse_names(shop)
        current = list(shop.warehouse_links.order_by("position", "id").values_list("warehouse_id", flat=True))
        if current != list(row.warehouse_ids):
            shop.warehouse_links.all().delete()
            LightspeedShopWarehouse.objects.bulk_create(
                LightspeedShopWarehouse(shop=shop, warehouse_id=warehouse_id, position=position)
                for position, warehouse_id in enumerate(row.warehouse_ids)
            )
        shop.employee_id = row.employee_id
        shop.register_id = row.register_id
        shop.save(update_fields=["employee", "register", "updated_at"])
        logged = changelog_record(instance=shop, before=before, company=company, actor=actor)
        new_warehouses = _warehouse_names(shop)
        if new_warehouses != old_warehouses:
            # The change log records model fields; the ordered warehouse list is written as one.
            logged.append(
                ChangeLog.objects.create(
                    company=company,
                    actor=actor if getattr(actor, "pk", None) else None,
                    content_type=content_type,
                    object_id=str(shop.pk),
                    object_repr=str(shop)[:200],
                    field="warehouses",
                    field_label="Warehouses",
                    old_value=old_warehouses,
                    new_value=new_warehouses,
                )
            )
        changed += bool(logged)
    return changed


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


def _connection_refusal(settings_obj: LightspeedSettings) -> str | None:
    if settings_obj.needs_reauthorization:
        return (
            f"Re-authorization required: {settings_obj.connection_error or 'Lightspeed refused the token.'}"
        )
    if not settings_obj.refresh_token or not settings_obj.account_id:
        return "Lightspeed is not connected: run Fetch Token first."
    return None


def shops_download_now(*, company_id: int, trigger: str = SyncRun.Trigger.ADMIN) -> SyncRun:
    """The shops job, run because a person asked for it — also while Lightspeed POS Enabled is off.

    The master switch stops scheduled work; shops, registers and employees are what a merchant
    needs to finish the settings before turning it on, and downloading them changes no order or
    stock. Recorded as a SyncRun like any run (same lock, same issue on failure).
    """
    settings_obj = LightspeedSettings.objects.select_related("company").get(company_id=company_id)
    if settings_obj.enabled:
        return job_run(company_id=company_id, job=JOBS["shops"], trigger=trigger)
    run = SyncRun.objects.create(company_id=company_id, job="shops", trigger=trigger)
    refusal = _connection_refusal(settings_obj)
    if refusal:
        return runs._finish(run, SyncRun.Outcome.REFUSED, error=refusal)
    with company_job_lock(company_id, "shops") as acquired:
        if not acquired:
            return runs._finish(
                run, SyncRun.Outcome.SKIPPED, error="Another shops run for this company is in progress."
            )
        stats = ClientStats()
        try:
            client = lightspeed_client_for(settings_obj, stats=stats)
            counts = JOBS["shops"].run(JobContext(settings=settings_obj, client=client))
        except errors.LightspeedError as exc:
            if not isinstance(exc, errors.LightspeedTransientError):
                runs.sync_issue_record(
                    company_id=company_id, kind="shops_failed", key="shops", message=exc.message, run=run
                )
            return runs._finish(run, SyncRun.Outcome.FAILED, error=exc.message, stats=stats)
        except Exception as exc:  # as job_run: a crashed run is finished, never left running
            logger.exception("Lightspeed shops download failed for company %s", company_id)
            runs._finish(run, SyncRun.Outcome.FAILED, error=f"{type(exc).__name__}: {exc}", stats=stats)
            raise
        # As job_run: the download works again, so its failure issue (if any) is resolved.
        SyncIssue.objects.filter(
            company_id=company_id, kind="shops_failed", status=SyncIssue.Status.OPEN
        ).update(
            status=SyncIssue.Status.RESOLVED, resolved_at=timezone.now(), resolution="The job worked again."
        )
        return runs._finish(run, SyncRun.Outcome.SUCCEEDED, counts=counts, stats=stats)


def shops_redownload(*, company_id: int, trigger: str = SyncRun.Trigger.ADMIN) -> ShopsDownloadReport:
    """Downloads shops, registers, employees and price levels now and says what changed."""
    before = {
        shop.shop_id: (shop.name, shop.archived)
        for shop in LightspeedShop.objects.filter(company_id=company_id)
    }
    levels_before = {
        level.price_level_id: (level.name, level.archived)
        for level in LightspeedPriceLevel.objects.filter(company_id=company_id)
    }
    run = shops_download_now(company_id=company_id, trigger=trigger)
    if run.outcome not in (SyncRun.Outcome.SUCCEEDED, SyncRun.Outcome.PARTIAL):
        return ShopsDownloadReport(ok=False, error=run.error or run.get_outcome_display())
    report = ShopsDownloadReport(
        ok=True,
        registers=run.counts.get("registers", 0),
        employees=run.counts.get("employees", 0),
        counts=run.counts,
    )
    for shop in LightspeedShop.objects.filter(company_id=company_id).order_by("name"):
        if shop.shop_id not in before:
            report.added.append(shop.name)
            continue
        old_name, was_archived = before[shop.shop_id]
        if old_name != shop.name:
            report.renamed.append((old_name, shop.name))
        if shop.archived and not was_archived:
            report.archived.append(shop.name)
    for level in LightspeedPriceLevel.objects.filter(company_id=company_id).order_by("price_level_id"):
        if level.price_level_id not in levels_before:
            report.levels_added.append(level.name)
            continue
        old_name, was_archived = levels_before[level.price_level_id]
        if old_name != level.name:
            report.levels_renamed.append((old_name, level.name))
        if level.archived and not was_archived:
            report.levels_archived.append(level.name)
    return report
