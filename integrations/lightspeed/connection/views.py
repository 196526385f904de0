"""Fetch Token: the start view (POST from the settings page) and Lightspeed's callback."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from integrations.commerce.models import Company
from integrations.lightspeed.connection.selectors import companies_visible_to
from integrations.lightspeed.connection.services.fetch_token import FetchTokenError, fetch_token_start
from integrations.lightspeed.models import LightspeedSettings
from integrations.lightspeed.shops.services.redownload import fetch_token_finish


def _settings_page(company: Company | None) -> str:
    if company is None:
        return reverse("admin:index")
    settings_obj, _ = LightspeedSettings.objects.get_or_create(company=company)
    return reverse("admin:lightspeed_lightspeedsettings_change", args=[settings_obj.pk])


@require_POST
@login_required
def fetch_token_start_view(request: HttpRequest, company_id: int) -> HttpResponse:
    company = companies_visible_to(request.user).filter(pk=company_id).first()
    if company is None or not request.user.has_perm("lightspeed.change_lightspeedsettings"):
        raise Http404("No such company.")
    try:
        url = fetch_token_start(company=company, user=request.user, session=request.session)
    except FetchTokenError as exc:
        messages.error(request, exc.message)
        return redirect(_settings_page(company))
    return redirect(url)


@require_GET
@login_required
def oauth_callback_view(request: HttpRequest) -> HttpResponse:
    try:
        settings_obj, shops = fetch_token_finish(
            user=request.user,
            session=request.session,
            state=request.GET.get("state", ""),
            code=request.GET.get("code", ""),
            error=request.GET.get("error", ""),
            error_description=request.GET.get("error_description", ""),
        )
    except FetchTokenError as exc:
        messages.error(request, exc.message)
        company = exc.company if exc.company in companies_visible_to(request.user) else None
        return redirect(_settings_page(company))
    messages.success(
        request,
        f"Connected to Lightspeed account {settings_obj.account_id}"
        f"{f' ({settings_obj.account_name})' if settings_obj.account_name else ''}.",
    )
    (messages.success if shops.ok else messages.warning)(request, shops.summary())
    return redirect(_settings_page(settings_obj.company))
