"""What every job leaves behind: a SyncRun per run and a SyncIssue per problem thing."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings as django_settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from integrations.commerce.models import Company


class SyncRun(models.Model):
    """One run of one job for one company."""

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Schedule"
        COMMAND = "command", "Command"
        ADMIN = "admin", "Admin action"
        OAUTH = "oauth", "Fetch Token"
        API = "api", "API"
        MANUAL = "manual", "Sync now"
        EVENT = "event", "Event"
        RESUME = "resume", "Resumed after an interruption"

    class Outcome(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        PARTIAL = "partial", "Succeeded with issues"
        FAILED = "failed", "Failed"
        REFUSED = "refused", "Refused"
        SKIPPED = "skipped", "Skipped (already running)"
        INTERRUPTED = "interrupted", "Interrupted (worker stopped)"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="lightspeed_runs")
    job = models.CharField(max_length=30, db_index=True)
    trigger = models.CharField(max_length=20, choices=Trigger.choices, default=Trigger.SCHEDULE)
    dry_run = models.BooleanField(default=False)
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.RUNNING)
    counts = models.JSONField(default=dict, blank=True)
    api_requests = models.PositiveIntegerField(default=0)
    api_rate_limited = models.PositiveIntegerField("429 responses", default=0)
    error = models.TextField(blank=True)
    # Operations: live progress while running, and what the run cost against the rate limit.
    progress_done = models.PositiveIntegerField("done so far", default=0)
    progress_total = models.PositiveIntegerField("to do", null=True, blank=True)
    heartbeat_at = models.DateTimeField("last progress", null=True, blank=True)
    api_cost = models.DecimalField("rate-limit cost", max_digits=12, decimal_places=2, default=0)
    api_bucket_peak = models.DecimalField(
        "highest bucket level", max_digits=10, decimal_places=2, null=True, blank=True
    )
    api_bucket_size = models.DecimalField(
        "bucket size", max_digits=10, decimal_places=2, null=True, blank=True
    )
    api_statuses = models.JSONField("responses by status", default=dict, blank=True)

    class Meta:
        verbose_name = "sync run"
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["company", "job", "started_at"])]

    def __str__(self) -> str:
        return f"{self.job} for {self.company} at {self.started_at:%Y-%m-%d %H:%M} — {self.get_outcome_display()}"

    @property
    def duration(self) -> timedelta | None:
        return self.finished_at - self.started_at if self.finished_at else None


class SyncIssue(models.Model):
    """One problem thing (a sale, an item, the connection…), counted while it recurs."""

    class Kind(models.TextChoices):
        """Every kind of issue a job records, with the words people see for it."""

        # orders
        UNMATCHED_ITEM = "unmatched_item", "Unmatched Lightspeed item"
        SALE_INVALID = "sale_invalid", "Sale that could not be read"
        STOCK_SHORTFALL = "stock_shortfall", "Sold more than in stock"
        RETURNS_WAREHOUSE_MISSING = "returns_warehouse_missing", "No Returns Warehouse"
        # catalog
        UPLOAD_REJECTED = "upload_rejected", "Write refused by Lightspeed"
        ITEM_CREATE_REJECTED = "item_create_rejected", "Item creation refused by Lightspeed"
        ITEM_CREATE_FAILED = "item_create_failed", "Item creation failed (Lightspeed unavailable)"
        ITEM_MATCH_AMBIGUOUS = "item_match_ambiguous", "Duplicate SKU/UPC"
        ITEM_ARCHIVED = "item_archived", "Item archived in Lightspeed"
        MATRIX_LINK_CONFLICT = "matrix_link_conflict", "Matrix and style do not agree"
        PRICE_LEVEL_UNUSABLE = "price_level_unusable", "Price level not usable"
        # onboarding (catalog_import)
        IMPORT_SKU_CLASH = "import_sku_clash", "Import: SKU already taken"
        # a job's own failure: "<job>_failed" (see `job_failed_kind`)
        TOKENS_FAILED = "tokens_failed", "Tokens job failed"
        SHOPS_FAILED = "shops_failed", "Shops job failed"
        PRODUCTS_FAILED = "products_failed", "Products job failed"
        ORDERS_FAILED = "orders_failed", "Orders job failed"
        UPLOAD_FAILED = "upload_failed", "Upload job failed"
        RECONCILE_FAILED = "reconcile_failed", "Reconcile job failed"
        CATALOG_IMPORT_FAILED = "catalog_import_failed", "Catalog import failed"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"
        IGNORED = "ignored", "Ignored"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="lightspeed_issues")
    kind = models.CharField(max_length=50, db_index=True)
    key = models.CharField(max_length=200, help_text="The thing's key, e.g. a saleID.")
    message = models.TextField()
    excerpt = models.TextField(blank=True, help_text="The part of the payload that caused it.")
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now, db_index=True)
    count = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN, db_index=True)
    run = models.ForeignKey(SyncRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="issues")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolution = models.CharField(max_length=500, blank=True, help_text="What was done about it.")

    class Meta:
        verbose_name = "sync issue"
        ordering = ["-last_seen_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "kind", "key"], name="lightspeed_issue_once_per_thing")
        ]
        indexes = [
            models.Index(fields=["company", "status"], condition=Q(status="open"), name="ls_open_issues")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}: {self.message[:60]}"


JOB_FAILED_SUFFIX = "_failed"


def job_failed_kind(job: str) -> str:
    """The kind of the issue a failing run of `job` opens (and its next success resolves)."""
    return f"{job}{JOB_FAILED_SUFFIX}"


def issue_kind_label(kind: str) -> str:
    """How people say a kind: its label, or its name in words for a kind no job records."""
    try:
        return SyncIssue.Kind(kind).label
    except ValueError:
        return kind.replace("_", " ").capitalize()
