"""Companies the live tick would probe, made in bulk: for counting the tick's cost at fleet size
(`test_fleet.py` and `benchmarks/bench_fleet.py`)."""

from __future__ import annotations

from integrations.commerce.models import Company
from integrations.lightspeed.models import ConnectionStatus, LightspeedSettings


def tick_eligible_companies(count: int) -> list[int]:
    """`count` new companies, each connected with its order download on; returns their ids."""
    start = Company.objects.count()
    ids = [Company.objects.create(name=f"Fleet {i}").pk for i in range(start, start + count)]
    LightspeedSettings.objects.filter(company_id__in=ids).update(
        enabled=True,
        order_download_enabled=True,
        account_id="1",
        refresh_token="r",
        connection_status=ConnectionStatus.CONNECTED,
    )
    return ids
