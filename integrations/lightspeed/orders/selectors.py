"""Read-only questions of the order download."""

from __future__ import annotations

from integrations.lightspeed.models import ConnectionStatus, LightspeedSettings


def companies_due_for_order_download() -> list[int]:
    """Ids of the companies whose orders the beat downloads: POS enabled, order download on,
    connected (a company needing re-authorization is left alone until someone reconnects), and
    not refused by the orders job's own rule (e.g. no shop whose sales to take), so a company that
    is not set up gets no refused run a minute; its dashboard says why instead."""
    candidates = (
        LightspeedSettings.objects.filter(
            enabled=True, order_download_enabled=True, connection_status=ConnectionStatus.CONNECTED
        )
        .exclude(refresh_token="")
        .order_by("company_id")
    )
    return [s.company_id for s in candidates if not s.order_download_refusal()]
