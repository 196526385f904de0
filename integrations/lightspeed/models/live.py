"""The live loop's data: when each company is probed next, and how fresh its sync has been.

`LiveState` is one row per company: the change probe's schedule (the scheduler tick queues a
probe for every row whose `next_probe_at` has passed, and pushes it forward as it does, so a
probe that died with its worker is queued again once that claim lapses) and what the last probe
saw. `FreshnessSample` is one measured delay, sale → order or stock change → Lightspeed.
`ApiUsageMinute` is what a company's requests cost per minute, split into polling (probes) and
work (job runs), for the share of the drip budget the dashboard shows.
"""

from __future__ import annotations

from django.db import models

from integrations.commerce.models import Company


class LiveState(models.Model):
    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="lightspeed_live")
    next_probe_at = models.DateTimeField(
        db_index=True, help_text="When the scheduler queues the next change probe (a queued probe's claim)."
    )
    seen_update_time = models.DateTimeField(
        null=True, blank=True, help_text="Newest Sale.updatetime the last probe saw (Lightspeed's clock)."
    )
    seen_sale_id = models.PositiveBigIntegerField(default=0, help_text="The saleID of that sale.")
    last_probe_at = models.DateTimeField(null=True, blank=True)
    last_change_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When a probe last found a change (probes are faster for a while after).",
    )
    caught_up_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Start of the last probe that found every sale change already downloaded (our clock).",
    )
    drip_rate = models.FloatField(null=True, blank=True, help_text="The account's drip rate as last seen.")
    interval_seconds = models.FloatField(default=0, help_text="The interval the last probe chose.")

    class Meta:
        verbose_name = "live sync state"

    def __str__(self) -> str:
        return f"{self.company}: next probe {self.next_probe_at:%H:%M:%S}"


class FreshnessSample(models.Model):
    class Direction(models.TextChoices):
        SALE_TO_ORDER = "sale_to_order", "Sale → order"
        STOCK_TO_LIGHTSPEED = "stock_to_lightspeed", "Stock change → Lightspeed"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="lightspeed_freshness")
    direction = models.CharField(max_length=30, choices=Direction.choices)
    key = models.CharField(max_length=40, help_text="The saleID or itemID measured.")
    occurred_at = models.DateTimeField(help_text="The sale's completion, or the stock change's commit.")
    done_at = models.DateTimeField(help_text="The order's commit, or Lightspeed's 200 for the quantity.")
    seconds = models.FloatField()

    class Meta:
        verbose_name = "freshness sample"
        indexes = [models.Index(fields=["company", "direction", "done_at"]), models.Index(fields=["done_at"])]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.key}: {self.seconds:.1f} s"


class ApiUsageMinute(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="lightspeed_api_usage")
    minute = models.DateTimeField(help_text="The minute (UTC, seconds zeroed) the requests were made in.")
    poll_drips = models.FloatField(default=0)
    poll_requests = models.PositiveIntegerField(default=0)
    work_drips = models.FloatField(default=0)
    work_requests = models.PositiveIntegerField(default=0)
    drip_rate = models.FloatField(null=True, blank=True, help_text="The account's drip rate then.")

    class Meta:
        verbose_name = "API usage per minute"
        constraints = [models.UniqueConstraint(fields=["company", "minute"], name="api_usage_minute_once")]
        indexes = [models.Index(fields=["minute"])]

    def __str__(self) -> str:
        return f"{self.company} {self.minute:%H:%M}: poll {self.poll_drips:g}, work {self.work_drips:g}"
