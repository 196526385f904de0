"""Onboarding's page: "Import Lightspeed items as products", opened from General Settings' Actions.

GET shows the latest preview (a dry run's counts), the import's progress while a run is going and
its result; POST queues a preview or the import (`job_enqueue`, after the request commits). The
settings row is loaded through the company-walled model admin, as General Settings loads it, so a
merchant reaches only their own company's page; CSRF guards the POSTs.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from integrations.lightspeed.catalog.selectors import catalog_import_state
from integrations.lightspeed.catalog.services.onboarding import COUNT_NAMES
from integrations.lightspeed.connection.settings_views import settings_for_request, settings_page_context
from integrations.lightspeed.jobs.enqueue import JobEnqueueError, job_enqueue, job_enqueue_refusal
from integrations.lightspeed.models import SyncRun

JOB = "catalog_import"
LABELS = {
    "items_read": "Lightspeed items read",
    "products_created": "Products created",
    "already_linked": "Items already linked to a product",
    "sku_clashes": "SKU clashes (an issue each, no product)",
    "archived_skipped": "Archived items left out",
    "units_booked": "Units booked as opening balances",
    "styles_created": "Styles created (one per Lightspeed matrix)",
    "variations_attached": "Products made variations of their style",
}
PREVIEW_LABELS = {
    **LABELS,
    "products_created": "Products it would create",
    "units_booked": "Units it would book",
    "styles_created": "Styles it would create (one per Lightspeed matrix)",
    "variations_attached": "Products it would make variations",
}


def import_page_url(settings_obj) -> str:
    return reverse("admin:lightspeed_lightspeedsettings_catalog_import", args=[settings_obj.pk])


def _rows(run: SyncRun | None, labels: dict[str, str]) -> list[tuple[str, int]]:
    if run is None or run.outcome == SyncRun.Outcome.RUNNING:
        return []
    return [(labels[name], run.counts.get(name, 0)) for name in COUNT_NAMES]


@require_http_methods(["GET", "POST"])
def catalog_import_view(request: HttpRequest, *, model_admin, object_id: str) -> HttpResponse:
    settings_obj = settings_for_request(request, model_admin, object_id, change=request.method == "POST")
    if request.method == "POST":
        dry_run = request.POST.get("step") != "import"
        try:
            job_enqueue(
                company_id=settings_obj.company_id, job=JOB, trigger=SyncRun.Trigger.MANUAL, dry_run=dry_run
            )
        except JobEnqueueError as exc:
            messages.error(request, f"Import Lightspeed items as products refused: {exc.message}")
        else:
            messages.success(request, "The preview is running." if dry_run else "The import is running.")
        return redirect(import_page_url(settings_obj))
    state = catalog_import_state(company_id=settings_obj.company_id)
    context = settings_page_context(
        request,
        model_admin,
        settings_obj,
        title=f"Import Lightspeed items as products — {settings_obj.company.name}",
        state=state,
        running=state.running,
        preview_rows=_rows(state.preview, PREVIEW_LABELS),
        result_rows=_rows(state.result, LABELS),
        refusal=job_enqueue_refusal(settings_obj=settings_obj, job=JOB),
        import_url=import_page_url(settings_obj),
    )
    return TemplateResponse(request, "admin/lightspeed/catalog_import.html", context)
