"""Read-only questions about the Lightspeed channel."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from integrations.commerce.models import OPS_STAFF_GROUP, Company, User
from integrations.lightspeed.models import (
    REFRESH_TOKEN_KEEP_ALIVE,
    ConnectionStatus,
    LightspeedSettings,
    SyncRun,
)


def companies_visible_to(user: User) -> QuerySet[Company]:
    if not user.is_authenticated or not user.is_active:
        return Company.objects.none()
    if user.is_superuser or user.is_ops_staff:
        return Company.objects.all()
    return Company.objects.filter(pk=user.company_id) if user.company_id else Company.objects.none()


def settings_due_for_token_refresh(*, margin: timedelta) -> QuerySet[LightspeedSettings]:
    """Connected companies due a renewal: enabled ones whose access token expires within `margin`
    (or has no expiry), and disabled ones whose refresh token has gone unused for long."""
    now = timezone.now()
    soon, idle_since = now + margin, now - REFRESH_TOKEN_KEEP_ALIVE
    expiring = Q(token_expires_at__lte=soon) | Q(token_expires_at__isnull=True)
    idle = Q(token_refreshed_at__lte=idle_since) | Q(
        token_refreshed_at__isnull=True, token_received_at__lte=idle_since
    )
    return (
        LightspeedSettings.objects.filter(connection_status=ConnectionStatus.CONNECTED)
        .exclude(refresh_token="")
        .filter((Q(enabled=True) & expiring) | (Q(enabled=False) & idle))
        .select_related("company")
    )


def companies_needing_reauthorization_for(user: User) -> QuerySet[LightspeedSettings]:
    return LightspeedSettings.objects.filter(
        company__in=companies_visible_to(user), connection_status=ConnectionStatus.REAUTHORIZATION_REQUIRED
    ).select_related("company")


def alert_recipients(company: Company) -> list[str]:
    """The company's users and every ops staff member, by email, once each."""
    users = User.objects.filter(is_active=True).exclude(email="")
    emails = set(users.filter(company=company).values_list("email", flat=True))
    emails |= set(users.filter(groups__name=OPS_STAFF_GROUP).values_list("email", flat=True))
    return sorted(emails)


def last_runs(company: Company) -> dict[str, SyncRun]:
    """The latest run of each job for a company."""
    runs: dict[str, SyncRun] = {}
    for run in SyncRun.objects.filter(company=company).order_by("job", "-started_at", "-id"):
        runs.setdefault(run.job, run)
    return runs
