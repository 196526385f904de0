"""Operations' data: counters for /metrics, alerts already said, and the dashboard's admin entry."""

from __future__ import annotations

from django.db import models

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

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="lightspeed_alerts")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    subject = models.CharField(max_length=50, blank=True, help_text="The job, for job alerts.")
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
