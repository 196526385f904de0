"""The Lightspeed POS pages inside the admin: General Settings and Manage Lightspeed Shops.

Each view loads the company's settings through the (company-walled) model admin, checks the
permission it needs itself — never trusting a hidden button — and calls one service.
State changes are POSTs; Django's CSRF middleware guards them.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.templatetags.admin_list import _boolean_icon
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.timesince import timeuntil
from django.views.decorators.http import require_POST

from integrations.core.models import ChangeLog
from integrations.lightspeed.connection.forms import (
    ADVANCED_FIELDS,
    GENERAL_FIELDS,
    READ_ONLY_FIELDS,
    LightspeedSettingsForm,
    ShopMappingForm,
    field_help,
    field_label,
)
from integrations.lightspeed.connection.page import (
    ORDER_SOURCE_WARNING,
    employees_for,
    other_local_store_orders_exist,
    setup_checklist,
    shared_warehouse_warning,
    shops_for_mapping,
    warehouses_shared_by_shops,
)
from integrations.lightspeed.connection.services.disconnect import DisconnectError, lightspeed_disconnect
from integrations.lightspeed.connection.services.settings import (
    SettingsChangeError,
    lightspeed_settings_save,
)
from integrations.lightspeed.jobs.enqueue import JobEnqueueError, job_enqueue, job_enqueue_refusal
from integrations.lightspeed.jobs.registry import JOBS
from integrations.lightspeed.models import (
    LightspeedSettings,
    LightspeedShop,
    SyncRun,
    default_redirect_uri,
    mask_secret,
)
from integrations.lightspeed.shops.selectors import price_level_label, price_level_refusal
from integrations.lightspeed.shops.services.mapping import ShopMappingError, shop_mapping_save
from integrations.lightspeed.shops.services.redownload import shops_redownload

CHANGE_LOG_ROWS = 50


def settings_page_url(settings_obj: LightspeedSettings) -> str:
    return reverse("admin:lightspeed_lightspeedsettings_change", args=[settings_obj.pk])


def settings_for_request(
    request: HttpRequest, model_admin, object_id: str, *, change: bool
) -> LightspeedSettings:
    """The settings row if this user may see it (404 otherwise, so ids of other companies are
    not even confirmed to exist) and, for `change`, may change it (403)."""
    settings_obj = model_admin.get_object(request, unquote(object_id))
    if settings_obj is None or not model_admin.has_view_permission(request, settings_obj):
        raise Http404("No such Lightspeed POS settings.")
    if change and not model_admin.has_change_permission(request, settings_obj):
        raise PermissionDenied
    return settings_obj


def settings_page_context(
    request: HttpRequest, model_admin, settings_obj: LightspeedSettings, **extra
) -> dict:
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "app_label": model_admin.model._meta.app_label,
        "original": settings_obj,
        "company": settings_obj.company,
        "settings_url": settings_page_url(settings_obj),
        "has_change_permission": model_admin.has_change_permission(request, settings_obj),
        **extra,
    }


# --- General Settings ------------------------------------------------------------------------


def _value_display(settings_obj: LightspeedSettings, name: str) -> str:
    value = getattr(settings_obj, name)
    if name in ("auth_token", "refresh_token"):
        return mask_secret(value) or "— (run Fetch Token)"
    if name == "client_secret":
        if not settings_obj.client_id:
            return "— (this server's API client)"
        return mask_secret(value) or "—"
    if name == "client_id":
        return value or "— (this server's API client)"
    if name == "price_level":
        return price_level_label(settings_obj.company_id, value)
    if isinstance(value, bool):
        return format_html("{} {}", _boolean_icon(value), "Yes" if value else "No")
    if value is None or value == "":
        return "—"
    if hasattr(value, "tzinfo"):
        return formats.localize(timezone.localtime(value))
    return str(value)


def _rows(settings_obj: LightspeedSettings, names, form: LightspeedSettingsForm | None) -> list[dict]:
    rows = []
    for name in names:
        bound = form[name] if form is not None and name not in READ_ONLY_FIELDS else None
        rows.append(
            {
                "name": name,
                "label": field_label(name),
                "help": field_help(name),
                "field": bound,
                "display": _value_display(settings_obj, name),
            }
        )
    return rows


def connection_summary(settings_obj: LightspeedSettings) -> str:
    if settings_obj.needs_reauthorization:
        return f"Re-authorization required — {settings_obj.connection_error}"
    if not settings_obj.is_connected:
        return "Not connected — run Fetch Token."
    account = f"account {settings_obj.account_id}" + (
        f" ({settings_obj.account_name})" if settings_obj.account_name else ""
    )
    return f"Connected to Lightspeed {account}."


def _expires_in(settings_obj: LightspeedSettings) -> str:
    if not settings_obj.token_expires_at or not settings_obj.is_connected:
        return "—"
    if settings_obj.token_expires_at <= timezone.now():
        return "expired (renewed on next use)"
    return timeuntil(settings_obj.token_expires_at)


def _sync_entries(settings_obj: LightspeedSettings) -> list[dict]:
    return [
        {
            "job": name,
            "description": job.description,
            "url": reverse("admin:lightspeed_lightspeedsettings_sync", args=[settings_obj.pk, name]),
            "refusal": job_enqueue_refusal(settings_obj=settings_obj, job=name),
        }
        for name, job in JOBS.items()
        if not job.on_request_only  # the catalog import has its own page, with a preview first
    ]


def _common_refusal(entries: list[dict]) -> str:
    """The one reason the refused Sync now entries share (e.g. the master switch is off)."""
    reasons = {entry["refusal"] for entry in entries if entry["refusal"]}
    return reasons.pop() if len(reasons) == 1 else ""


def _change_log(settings_obj: LightspeedSettings):
    from django.contrib.contenttypes.models import ContentType

    types = ContentType.objects.get_for_models(LightspeedSettings, LightspeedShop).values()
    return (
        ChangeLog.objects.filter(company_id=settings_obj.company_id, content_type__in=list(types))
        .select_related("actor", "content_type")
        .order_by("-changed_at", "-id")[:CHANGE_LOG_ROWS]
    )


def general_settings_view(request: HttpRequest, *, model_admin, object_id: str) -> HttpResponse:
    editing = request.method == "POST" or bool(request.GET.get("edit"))
    settings_obj = settings_for_request(request, model_admin, object_id, change=editing)
    form = None
    if request.method == "POST":
        form = LightspeedSettingsForm(request.POST, instance=settings_obj)
        if form.is_valid():
            changes = form.changes()
            try:
                stored = lightspeed_settings_save(
                    settings_obj=settings_obj, actor=request.user, changes=changes
                )
            except SettingsChangeError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                if changes:
                    messages.success(request, f"General Settings saved ({len(changes)} changed).")
                else:
                    messages.info(request, "Nothing was changed.")
                if changes.get("order_download_enabled") and other_local_store_orders_exist(
                    company=stored.company
                ):
                    messages.warning(request, ORDER_SOURCE_WARNING)
                return redirect(settings_page_url(stored))
        settings_obj = model_admin.get_object(request, unquote(object_id))  # undo the form's edits
    elif editing:
        form = LightspeedSettingsForm(instance=settings_obj)

    checklist = setup_checklist(settings_obj)
    sync_entries = _sync_entries(settings_obj)
    context = settings_page_context(
        request,
        model_admin,
        settings_obj,
        title=f"General Settings — {settings_obj.company.name}",
        editing=editing,
        form=form,
        general_rows=_rows(settings_obj, GENERAL_FIELDS, form),
        advanced_rows=_rows(settings_obj, ADVANCED_FIELDS, form),
        connection=connection_summary(settings_obj),
        connection_state=settings_obj.connection_status,
        connection_stated_for=settings_obj.company_id,  # no re-authorization banner for it here
        expires_in=_expires_in(settings_obj),
        checklist=checklist,
        checklist_done=sum(step.done for step in checklist),
        show_checklist=not all(step.done for step in checklist),
        default_redirect_uri=default_redirect_uri(),
        fetch_token_url=reverse("lightspeed:fetch_token_start", args=[settings_obj.company_id]),
        shops_url=reverse("admin:lightspeed_lightspeedsettings_shops", args=[settings_obj.pk]),
        catalog_import_url=reverse(
            "admin:lightspeed_lightspeedsettings_catalog_import", args=[settings_obj.pk]
        ),
        disconnect_url=reverse("admin:lightspeed_lightspeedsettings_disconnect", args=[settings_obj.pk]),
        redownload_url=reverse(
            "admin:lightspeed_lightspeedsettings_shops_redownload", args=[settings_obj.pk]
        ),
        sync_entries=sync_entries,
        sync_blocked=_common_refusal(sync_entries),
        change_log=_change_log(settings_obj),
        order_source_warning=(
            ORDER_SOURCE_WARNING
            if settings_obj.order_download_enabled
            and other_local_store_orders_exist(company=settings_obj.company)
            else ""
        ),
        # A level archived in Lightspeed since it was chosen: said on the page, never blocking a save.
        price_level_warning=price_level_refusal(settings_obj.company_id, settings_obj.price_level) or "",
    )
    return TemplateResponse(request, "admin/lightspeed/general_settings.html", context)


@require_POST
def sync_now_view(request: HttpRequest, *, model_admin, object_id: str, job: str) -> HttpResponse:
    settings_obj = settings_for_request(request, model_admin, object_id, change=True)
    try:
        queued = job_enqueue(company_id=settings_obj.company_id, job=job, trigger=SyncRun.Trigger.MANUAL)
    except JobEnqueueError as exc:
        messages.error(request, f"Sync now ({job}) refused: {exc.message}")
    else:
        messages.success(
            request,
            f"The {queued.job} job is queued for {settings_obj.company.name}; its run appears under Sync runs.",
        )
    return redirect(settings_page_url(settings_obj))


@require_POST
def disconnect_view(request: HttpRequest, *, model_admin, object_id: str) -> HttpResponse:
    settings_obj = settings_for_request(request, model_admin, object_id, change=True)
    try:
        result = lightspeed_disconnect(company_id=settings_obj.company_id, actor=request.user)
    except DisconnectError as exc:
        messages.error(request, exc.message)
        return redirect(settings_page_url(settings_obj))
    if not result.was_connected:
        messages.info(request, "There was no token to revoke; Lightspeed POS Enabled is off.")
    elif result.revoked:
        messages.success(
            request,
            "Disconnected: the token was revoked at Lightspeed and cleared here. Lightspeed POS Enabled is off.",
        )
    else:
        messages.warning(
            request,
            f"The token was cleared here, but Lightspeed did not confirm the revoke ({result.revoke_error}). "
            "Remove LightSync from the apps of your Lightspeed account to be sure.",
        )
    return redirect(settings_page_url(settings_obj))


# --- Manage Lightspeed Shops -----------------------------------------------------------------


def manage_shops_view(request: HttpRequest, *, model_admin, object_id: str) -> HttpResponse:
    settings_obj = settings_for_request(request, model_admin, object_id, change=request.method == "POST")
    if not settings_obj.shops_mapping_enabled:
        messages.warning(
            request,
            "Manage Lightspeed Shops needs Enable Lightspeed Shops Mapping: turn it on under Edit first. "
            "Without it, the Shop Name, Register ID and EmployeeID of General Settings apply.",
        )
        return redirect(settings_page_url(settings_obj))
    company = settings_obj.company

    def build_form(data=None) -> ShopMappingForm:
        return ShopMappingForm(
            data,
            shops=shops_for_mapping(company=company),
            warehouses=company.warehouses.order_by("name"),
            employees=employees_for(company=company),
        )

    form = build_form(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            changed = shop_mapping_save(company=company, rows=form.mapping_rows(), actor=request.user)
        except ShopMappingError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Shop mapping saved ({changed} shops changed).")
            shared = warehouses_shared_by_shops(company=company)
            if shared:
                messages.warning(request, shared_warehouse_warning(shared))
            return redirect(reverse("admin:lightspeed_lightspeedsettings_shops", args=[settings_obj.pk]))

    shared = warehouses_shared_by_shops(company=company)
    not_sellable = [w.name for w in company.warehouses.filter(is_sellable=False).order_by("name")]
    context = settings_page_context(
        request,
        model_admin,
        settings_obj,
        title=f"Manage Lightspeed Shops — {company.name}",
        form=form,
        rows=form.rows(),
        warehouses=form.warehouses,
        shared_warning=shared_warehouse_warning(shared) if shared else "",
        not_sellable=not_sellable,
        redownload_url=reverse(
            "admin:lightspeed_lightspeedsettings_shops_redownload", args=[settings_obj.pk]
        ),
    )
    return TemplateResponse(request, "admin/lightspeed/manage_shops.html", context)


@require_POST
def redownload_shops_view(request: HttpRequest, *, model_admin, object_id: str) -> HttpResponse:
    settings_obj = settings_for_request(request, model_admin, object_id, change=True)
    report = shops_redownload(company_id=settings_obj.company_id)
    messages.add_message(request, messages.SUCCESS if report.ok else messages.ERROR, report.summary())
    if settings_obj.shops_mapping_enabled:
        return redirect(reverse("admin:lightspeed_lightspeedsettings_shops", args=[settings_obj.pk]))
    return redirect(settings_page_url(settings_obj))
