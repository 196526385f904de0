"""The Lightspeed POS channel's data: settings and connection, downloaded shops, runs, issues.

Field labels of `LightspeedSettings` are the ones merchants know (DESIGN.md §2), in that order.
Tokens and the client secret are encrypted at rest and never shown in full.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings as django_settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from integrations.commerce.models import Company, Warehouse
from integrations.core.fields import EncryptedTextField
from integrations.core.models import TimeStampedModel

CALLBACK_PATH = "/lightspeed/oauth/callback/"
# Lightspeed expires a refresh token unused for 30 days; an idle connection renews it well before.
REFRESH_TOKEN_KEEP_ALIVE = timedelta(days=20)


def default_redirect_uri() -> str:
    return f"{django_settings.SITE_URL}{CALLBACK_PATH}"


def mask_secret(value: str) -> str:
    """Shows that a secret is there without showing it: the last 4 characters at most."""
    if not value:
        return ""
    if len(value) <= 12:
        return "••••"
    return f"••••{value[-4:]}"


class ConnectionStatus(models.TextChoices):
    NOT_CONNECTED = "not_connected", "Not connected"
    CONNECTED = "connected", "Connected"
    REAUTHORIZATION_REQUIRED = "reauthorization_required", "Re-authorization required"


class LightspeedSettings(TimeStampedModel):
    """One company's Lightspeed POS channel: its General Settings and its connection."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="lightspeed")

    # --- General Settings, in the order and with the labels of DESIGN.md §2 ---------------------
    enabled = models.BooleanField(
        "Lightspeed POS Enabled",
        default=False,
        help_text="Master switch: no Lightspeed job runs for this company while it is off.",
    )
    shops_mapping_enabled = models.BooleanField(
        "Enable Lightspeed Shops Mapping",
        default=False,
        help_text="Map each Lightspeed shop to one or more warehouses, an employee and a register.",
    )
    account_id = models.CharField(
        "AccountID",
        max_length=32,
        blank=True,
        help_text="Your Lightspeed account (Site) ID. Filled in by Fetch Token when empty; "
        "a token for a different account is refused.",
    )
    shop = models.ForeignKey(
        "LightspeedShop",
        verbose_name="Shop Name",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The Lightspeed shop used while shops mapping is off.",
    )
    register = models.ForeignKey(
        "LightspeedRegister",
        verbose_name="Lightspeed Register ID",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The default register while shops mapping is off; it must belong to the shop.",
    )
    employee = models.ForeignKey(
        "LightspeedEmployee",
        verbose_name="Lightspeed EmployeeID",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The default employee while shops mapping is off.",
    )
    redirect_uri = models.URLField(
        "Redirect URI",
        max_length=500,
        default=default_redirect_uri,
        help_text="The callback URL registered in your Lightspeed API client.",
    )
    auth_token = EncryptedTextField(
        "Auth Token", blank=True, help_text="Filled in by Fetch Token. Never shown in full."
    )
    refresh_token = EncryptedTextField(
        "Refresh Token",
        blank=True,
        help_text="Filled in by Fetch Token and on every renewal. Never shown in full.",
    )
    token_received_at = models.DateTimeField(
        "Token Received On", null=True, blank=True, help_text="When the current token pair was received."
    )
    returns_warehouse = models.ForeignKey(
        Warehouse,
        verbose_name="Returns Warehouse",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Where returned items are received (normally the non-sellable returns warehouse).",
    )
    order_download_enabled = models.BooleanField(
        "Enable Order Download", default=False, help_text="Download completed sales as orders."
    )
    inventory_upload_enabled = models.BooleanField(
        "Enable Inventory Upload", default=False, help_text="Upload quantities on hand."
    )
    price_upload_enabled = models.BooleanField(
        "Enable Price Upload", default=False, help_text="Upload prices."
    )
    cost_upload_enabled = models.BooleanField("Enable Cost Upload", default=False, help_text="Upload costs.")
    auto_enable_new_products = models.BooleanField(
        "Auto Enable New Products For Lightspeed",
        default=False,
        help_text="New products are enabled for Lightspeed as they are created.",
    )
    auto_create_enabled_products = models.BooleanField(
        "Enable Auto Create Enabled Products On Lightspeed",
        default=False,
        help_text="Enabled products missing in Lightspeed are created there.",
    )
    use_company_address = models.BooleanField(
        "Use Company Address As Billing/Shipping Address For Orders",
        default=False,
        help_text="Orders take the company address instead of the customer's.",
    )

    # --- Advanced ----------------------------------------------------------------------------
    client_id = models.CharField(
        "Client ID",
        max_length=200,
        blank=True,
        help_text="Optional: the client ID of your own Lightspeed API client. "
        "Leave empty to use this deployment's.",
    )
    client_secret = EncryptedTextField(
        "Client Secret",
        blank=True,
        help_text="Optional: the secret of your own Lightspeed API client. Never shown in full.",
    )
    order_download_start = models.DateTimeField(
        "Order Download Start Date",
        null=True,
        blank=True,
        help_text="Sales completed before this time are not downloaded.",
    )
    price_level = models.PositiveIntegerField(
        "Lightspeed Price Level For Site Price",
        default=1,
        help_text="The Lightspeed price level (useTypeID) the site price goes to: 1 Default, 2 MSRP, "
        "3 Online, or a custom level's id. The site cost always goes to the item's default cost.",
    )

    # --- Connection (written by Fetch Token and token renewal, shown read-only) --------------
    connection_status = models.CharField(
        "connection status",
        max_length=30,
        choices=ConnectionStatus.choices,
        default=ConnectionStatus.NOT_CONNECTED,
        db_index=True,
    )
    connection_error = models.TextField(
        "reason", blank=True, help_text="Why Lightspeed refused the connection, in words."
    )
    account_name = models.CharField("Lightspeed account name", max_length=200, blank=True)
    token_expires_at = models.DateTimeField("token expires at", null=True, blank=True)
    token_refreshed_at = models.DateTimeField("last refresh", null=True, blank=True)
    token_scope = models.CharField("granted scopes", max_length=500, blank=True)
    reauthorization_notified_at = models.DateTimeField(
        null=True, blank=True, help_text="When users were told that re-authorization is required."
    )

    class Meta:
        verbose_name = "Lightspeed POS settings"
        verbose_name_plural = "Lightspeed POS settings"

    def __str__(self) -> str:
        return f"Lightspeed POS — {self.company}"

    @property
    def is_connected(self) -> bool:
        return self.connection_status == ConnectionStatus.CONNECTED and bool(self.refresh_token)

    @property
    def needs_reauthorization(self) -> bool:
        return self.connection_status == ConnectionStatus.REAUTHORIZATION_REQUIRED

    def effective_client_id(self) -> str:
        return self.client_id or django_settings.LIGHTSPEED_CLIENT_ID

    def effective_client_secret(self) -> str:
        return self.client_secret if self.client_id else django_settings.LIGHTSPEED_CLIENT_SECRET

    def refresh_token_needs_keep_alive(self) -> bool:
        """Whether an idle connection's refresh token should be renewed before Lightspeed lets it
        expire (30 days unused): jobs that would otherwise renew it do not run while it is off."""
        issued = self.token_refreshed_at or self.token_received_at
        return issued is None or issued <= timezone.now() - REFRESH_TOKEN_KEEP_ALIVE

    def token_expires_within(self, margin: timedelta) -> bool:
        """Whether the access token expires within `margin` — or within the last quarter of
        its life, when that is shorter (a short-lived token would otherwise be renewed on
        every use, and Lightspeed limits how often a connection may refresh)."""
        if not self.token_expires_at:
            return True
        issued = self.token_refreshed_at or self.token_received_at
        if issued and issued < self.token_expires_at:
            margin = min(margin, (self.token_expires_at - issued) / 4)
        return self.token_expires_at <= timezone.now() + margin


class LightspeedShop(TimeStampedModel):
    """A shop downloaded from Lightspeed, with its mapping (warehouses, employee, register)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="lightspeed_shops")
    shop_id = models.PositiveIntegerField("Lightspeed shopID")
    name = models.CharField(max_length=255)
    time_zone = models.CharField(max_length=64, blank=True)
    archived = models.BooleanField(default=False)
    downloaded_at = models.DateTimeField(null=True, blank=True)
    warehouses = models.ManyToManyField(
        Warehouse, through="LightspeedShopWarehouse", related_name="lightspeed_shops", blank=True
    )
    employee = models.ForeignKey(
        "LightspeedEmployee",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The employee Lightspeed records LightSync's writes against for this shop.",
    )
    register = models.ForeignKey(
        "LightspeedRegister",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="A register of this shop.",
    )

    class Meta:
        verbose_name = "Lightspeed shop"
        ordering = ["company", "name", "shop_id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "shop_id"], name="lightspeed_shop_unique_per_company")
        ]

    def __str__(self) -> str:
        return f"{self.name}{' (archived)' if self.archived else ''}"


class LightspeedShopWarehouse(models.Model):
    """A shop's warehouses, in order: the first is drawn from first."""

    shop = models.ForeignKey(LightspeedShop, on_delete=models.CASCADE, related_name="warehouse_links")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "shop warehouse"
        ordering = ["shop", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "warehouse"], name="lightspeed_shop_warehouse_once")
        ]

    def __str__(self) -> str:
        return f"{self.shop} ← {self.warehouse} (#{self.position + 1})"


class LightspeedRegister(TimeStampedModel):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="lightspeed_registers")
    register_id = models.PositiveIntegerField("Lightspeed registerID")
    shop = models.ForeignKey(LightspeedShop, on_delete=models.CASCADE, related_name="registers")
    name = models.CharField(max_length=255)
    archived = models.BooleanField(default=False)

    class Meta:
        verbose_name = "Lightspeed register"
        ordering = ["company", "shop", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "register_id"], name="lightspeed_register_unique_per_company"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.register_id}){' (archived)' if self.archived else ''}"


class LightspeedEmployee(TimeStampedModel):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="lightspeed_employees")
    employee_id = models.PositiveIntegerField("Lightspeed employeeID")
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    lock_out = models.BooleanField(default=False)
    archived = models.BooleanField(default=False)
    limit_to_shop_id = models.PositiveIntegerField(default=0, help_text="0: works in every shop.")

    class Meta:
        verbose_name = "Lightspeed employee"
        ordering = ["company", "first_name", "last_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "employee_id"], name="lightspeed_employee_unique_per_company"
            )
        ]

    def __str__(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip() or f"Employee {self.employee_id}"
        return f"{name} ({self.employee_id}){' (archived)' if self.archived else ''}"


class LightspeedPriceLevel(TimeStampedModel):
    """A Lightspeed price level (Default, MSRP, Online, custom ones), downloaded by the shops job
    so Advanced settings can offer them by name; its id is the useTypeID of an item's prices."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="lightspeed_price_levels")
    price_level_id = models.PositiveIntegerField("Lightspeed priceLevelID")
    name = models.CharField(max_length=255)
    archived = models.BooleanField(default=False)
    level_type = models.CharField("type", max_length=30, blank=True, help_text="fixed or calculated")

    class Meta:
        verbose_name = "Lightspeed price level"
        ordering = ["company", "price_level_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "price_level_id"], name="lightspeed_price_level_unique_per_company"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.price_level_id}){' (archived)' if self.archived else ''}"


class OAuthState(models.Model):
    """A Fetch Token attempt in flight: single use, bound to a user, a company and a session."""

    state = models.CharField(max_length=100, unique=True)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(django_settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=64)
    code_verifier = EncryptedTextField()
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "OAuth state"

    def __str__(self) -> str:
        return f"Fetch Token for {self.company} by {self.user}"


class ApiBucket(models.Model):
    """Lightspeed's leaky bucket as last seen, per account: pacing shared by every process."""

    key = models.CharField(max_length=100, unique=True)
    level = models.FloatField(default=0)
    size = models.FloatField(default=90)
    drip_rate = models.FloatField(default=1)
    observed_at = models.FloatField(default=0, help_text="Unix time of `level`.")

    class Meta:
        verbose_name = "API rate bucket"

    def __str__(self) -> str:
        return f"{self.key}: {self.level:.1f}/{self.size:g} @ {self.drip_rate:g}/s"


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

    class Outcome(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        PARTIAL = "partial", "Succeeded with issues"
        FAILED = "failed", "Failed"
        REFUSED = "refused", "Refused"
        SKIPPED = "skipped", "Skipped (already running)"

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


# Models kept in their own modules, imported here so Django finds them.
from integrations.lightspeed.models_catalog import (  # noqa: E402, F401
    CatalogCursor,
    ItemShopState,
    ProductLink,
    StockDrift,
    UploadPreview,
)
from integrations.lightspeed.models_operations import AlertNotice, Dashboard, MetricCounter  # noqa: E402, F401
from integrations.lightspeed.models_orders import (  # noqa: E402, F401
    LightspeedSale,
    LightspeedSaleLine,
    OrderCursor,
    UnmatchedItem,
)
