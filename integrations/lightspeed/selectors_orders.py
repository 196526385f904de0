"""Read-only questions of the order download."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from integrations.lightspeed.models import ConnectionStatus, LightspeedSettings


def companies_due_for_order_download() -> QuerySet:
    """Ids of the companies whose orders the beat downloads: POS enabled, order download on,
    connected (a company needing re-authorization is left alone until someone reconnects), and
    knowing whose sales to take (shops mapping on, or a Shop Name chosen: `orders_refusal`), so a
    company that is not set up gets no refused run a minute; its dashboard says why instead."""
    return (
        LightspeedSettings.objects.filter(
            enabled=True, order_download_enabled=True, connection_status=ConnectionStatus.CONNECTED
        )
        .exclude(refresh_token="")
        .filter(Q(shops_mapping_enabled=True) | Q(shop__isnull=False))
        .order_by("company_id")
        .values_list("company_id", flat=True)
    )
