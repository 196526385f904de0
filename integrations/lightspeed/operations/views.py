"""The operations dashboard's views (served by the Dashboard admin, inside the admin's walls).

A merchant sees their own company. Ops staff first see the fleet overview: every company that
needs attention, worst first, 50 a page, with a search and filters kept in the query string, and
open one company's dashboard from there. Views parse, call one selector or service, and render.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from integrations.commerce.models import Company
from integrations.core.admin import sees_all_companies
from integrations.lightspeed.api import errors
from integrations.lightspeed.connection.selectors import companies_visible_to
from integrations.lightspeed.jobs.enqueue import JobEnqueueError, job_enqueue
from integrations.lightspeed.models import SyncRun
from integrations.lightspeed.operations import dashboard, selectors
from integrations.lightspeed.orders.services import replay as orders_replay


def _company_for(request: HttpRequest, company_id: str | None) -> Company | None:
    """The company the request is about: a merchant's own; for ops staff the one asked for."""
    visible = companies_visible_to(request.user)
    if not sees_all_companies(request.user):
        return visible.first()
    if not company_id:
        return None
    try:
        return get_object_or_404(visible, pk=int(company_id))
    except ValueError:
        raise Http404("No such company.") from None


def dashboard_url(company_id: int | None = None) -> str:
    url = reverse("admin:lightspeed_dashboard_changelist")
    return f"{url}?company={company_id}" if company_id else url


def dashboard_view(model_admin, request: HttpRequest) -> HttpResponse:
    context = {**model_admin.admin_site.each_context(request), "opts": model_admin.model._meta}
    company = _company_for(request, request.GET.get("company"))
    if company is None and not sees_all_companies(request.user):
        raise Http404("You belong to no company.")
    if company is None:
        filters = dashboard.OverviewFilters.from_query(request.GET)
        context.update(
            dashboard.fleet_overview(
                companies_visible_to(request.user), filters=filters, page_number=request.GET.get("page")
            )
        )
        context.update(
            title="Lightspeed operations — all companies",
            filters=filters,
            window=filters.window,
            windows=list(dashboard.WINDOWS),
            connection_filters=selectors.CONNECTION_FILTERS,
            jobs=list(dashboard.JOBS),
            now=timezone.now(),
        )
        return TemplateResponse(request, "admin/lightspeed/dashboard_overview.html", context)
    context.update(dashboard.company_dashboard(company))
    context.update(
        title=f"Lightspeed operations — {company.name}",
        sees_all=sees_all_companies(request.user),
        live_url=f"{reverse('admin:lightspeed_dashboard_live')}?company={company.pk}",
        sync_now_url=reverse("admin:lightspeed_dashboard_sync_now"),
        replay_sale_url=reverse("admin:lightspeed_dashboard_replay_sale"),
    )
    return TemplateResponse(request, "admin/lightspeed/dashboard_company.html", context)


def live_view(model_admin, request: HttpRequest) -> JsonResponse:
    """Runs in progress, for the dashboard to poll while any are running."""
    company = _company_for(request, request.GET.get("company"))
    if company is None:
        raise Http404("No such company.")
    now = timezone.now()
    runs = SyncRun.objects.filter(company=company, outcome=SyncRun.Outcome.RUNNING).order_by("started_at")
    return JsonResponse(
        {
            "running": [
                {
                    "id": run.pk,
                    "job": run.job,
                    "done": run.progress_done,
                    "total": run.progress_total,
                    "requests": run.api_requests,
                    "seconds": int((now - run.started_at).total_seconds()),
                    "quiet_seconds": int((now - (run.heartbeat_at or run.started_at)).total_seconds()),
                }
                for run in runs
            ]
        }
    )


def _back(request: HttpRequest, company_id: int | None) -> HttpResponseRedirect:
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = dashboard_url(company_id)
    return HttpResponseRedirect(target or dashboard_url(company_id))


def sync_now_view(model_admin, request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    company = _company_for(request, request.POST.get("company"))
    if company is None:
        raise Http404("No such company.")
    job = request.POST.get("job", "")
    try:
        queued = job_enqueue(company_id=company.pk, job=job, trigger=SyncRun.Trigger.MANUAL)
    except JobEnqueueError as exc:
        messages.error(request, f"{company.name}: {job} not queued — {exc.message}")
    else:
        messages.success(request, f"{company.name}: the {queued.job} job is queued; its run appears below.")
    return _back(request, company.pk)


def replay_sale_view(model_admin, request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    company = _company_for(request, request.POST.get("company"))
    if company is None:
        raise Http404("No such company.")
    sale_id = (request.POST.get("sale_id") or "").strip()
    if not sale_id.isdigit():
        messages.error(request, "Enter the Lightspeed sale ID (digits only).")
    else:
        try:
            result = orders_replay.sale_replay(company_id=company.pk, sale_id=int(sale_id))
        except (orders_replay.SaleReplayError, errors.LightspeedError) as exc:
            messages.error(request, f"Sale {sale_id} not replayed: {getattr(exc, 'message', exc)}")
        else:
            messages.success(request, f"Sale {sale_id} replayed: {result}.")
    return _back(request, company.pk)
