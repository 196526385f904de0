"""The connection to one Lightspeed account: settings and tokens, OAuth state, the rate bucket.

Field labels of `LightspeedSettings` are the ones merchants know (DESIGN.md §2), in that order.
Tokens and the client secret are encrypted at rest and never shown in full.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings as django_settings
from django.db import models
from django.utils import timezone

from integrations.commerce.models import Company, Warehouse
from integrations.core.fields import EncryptedTextField
from integrations.core.models import TimeStampedModel

CALLBACK_PATH = "/lightspeed/oauth/callback/"
# Lightspeed expires a refresh token unused for 30 days; an idle connection renews it well before.
REFRESH_TOKEN_KEEP_ALIVE = timedelta(days=20)
NO_SHOP_CHOSEN = (
    "Enable Order Download needs to know whose sales to download: turn on Enable Lightspeed Shops "
    "Mapping and map the shops to warehouses, or choose the Shop Name (with mapping off, only that "
    "shop's sales are downloaded)."
)


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
        # The page's name in the product merchants come from: Lightspeed POS → General Settings.
        verbose_name = "General Settings"
        verbose_name_plural = "General Settings"

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

    def order_download_refusal(self) -> str | None:
        """Why the order download may not run with these settings; None when it may.

        With shops mapping off, only the configured shop's sales are imported: with no Shop Name
        there is no shop, and importing every shop's sales into the default warehouse instead would
        take stock for sales that are not this company's to take."""
        if not self.shops_mapping_enabled and not self.shop_id:
            return NO_SHOP_CHOSEN
        return None

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
