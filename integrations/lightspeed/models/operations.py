"""Operations' data: counters for /metrics, alerts already said, the freshness alert's threshold
and the dashboard's admin entry."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Coalesce

from integrations.commerce.models import Company


class MetricCounter(models.Model):
    """A Prometheus counter kept in the database.

    Workers on any machine add to it and every web process's /metrics reads the same value, which
    no per-process registry can do. Rows are never pruned: counters must only go up.
    """

    name = models.CharField(max_length=100)
    labels = models.CharField(max_length=300, blank=True, help_text='Canonical "key=value,…", sorted.')
    value = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "metric counter"
        constraints = [models.UniqueConstraint(fields=["name", "labels"], name="metric_counter_once")]

    def __str__(self) -> str:
        return f"{self.name}{{{self.labels}}} {self.value}"


class AlertNotice(models.Model):
    """One condition people were alerted about: said once, again only when it changes or after
    a quiet period, and cleared (once) when the condition goes away."""

    class Kind(models.TextChoices):
        REAUTHORIZATION = "reauthorization", "Re-authorization required"
        JOB_FAILING = "job_failing", "Job failing"
        DRIFT = "drift", "Stock drift"
        FRESHNESS = "freshness", "Freshness"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="lightspeed_alerts")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    subject = models.CharField(
        max_length=50, blank=True, help_text="The job, for job alerts; the direction, for freshness alerts."
    )
    fingerprint = models.CharField(max_length=64, help_text="What was said, hashed: a change is news.")
    message = models.TextField()
    raised_at = models.DateTimeField()
    last_sent_at = models.DateTimeField(null=True, blank=True)
    times_sent = models.PositiveIntegerField(default=0)
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "alert"
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(fields=["company", "kind", "subject"], name="one_alert_per_condition")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.subject} — {self.company}".replace("  ", " ")

    @property
    def active(self) -> bool:
        return self.cleared_at is None


def _default_p95_seconds() -> int:
    return settings.LIGHTSPEED_ALERT_FRESHNESS_P95_SECONDS


def _default_min_samples() -> int:
    return settings.LIGHTSPEED_ALERT_FRESHNESS_MIN_SAMPLES


class FreshnessThreshold(models.Model):
    """When the freshness alert fires, as ops staff set it: for one company, or (no company) for
    every company without a threshold of its own. Without any row the settings decide
    (LIGHTSPEED_ALERT_FRESHNESS_P95_SECONDS, LIGHTSPEED_ALERT_FRESHNESS_MIN_SAMPLES)."""

    company = models.ForeignKey(
        Company,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="lightspeed_freshness_thresholds",
        help_text="Leave empty for the threshold of every company that has none of its own.",
    )
    p95_seconds = models.PositiveIntegerField(
        "p95 above (seconds)",
        default=_default_p95_seconds,
        validators=[MinValueValidator(1)],
        help_text="The alert fires when the p95 of sale → order or of stock change → Lightspeed stays "
        "above this.",
    )
    min_samples = models.PositiveIntegerField(
        "minimum samples",
        default=_default_min_samples,
        validators=[MinValueValidator(1)],
        help_text="A window with fewer delays measured than this says nothing either way.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "freshness alert threshold"
        constraints = [
            # One per company, and one default (no company): NULLs are never equal to each other.
            models.UniqueConstraint(
                Coalesce("company", models.Value(0)),
                name="one_freshness_threshold_per_company",
                violation_error_message="There is already a threshold for this company (or for every company).",
            )
        ]

    def __str__(self) -> str:
        who = self.company if self.company_id else "every company"
        return f"Freshness alert for {who}: p95 above {self.p95_seconds} s"


class Dashboard(models.Model):
    """The operations dashboard's entry in the admin (no table): /admin/lightspeed/dashboard/.

    Its view permission is what lets merchants and ops staff open the dashboard.
    """

    class Meta:
        managed = False
        default_permissions = ("view",)
        verbose_name = "dashboard"
        verbose_name_plural = "dashboard"

    def __str__(self) -> str:
        return "Dashboard"
