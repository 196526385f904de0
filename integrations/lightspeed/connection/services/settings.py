"""Changing a company's Lightspeed settings: validated, in one transaction with its change log."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction

from integrations.commerce.models import User
from integrations.core.changelog import changelog_record, field_values
from integrations.core.errors import RefusalError
from integrations.lightspeed.api import oauth
from integrations.lightspeed.models import LightspeedSettings, default_redirect_uri
from integrations.lightspeed.shops.selectors import price_level_label, price_level_refusal

# Written only by Fetch Token and token renewal, never through a settings form.
CONNECTION_FIELDS = {
    "auth_token",
    "refresh_token",
    "token_received_at",
    "token_expires_at",
    "token_refreshed_at",
    "token_scope",
    "connection_status",
    "connection_error",
    "account_name",
    "reauthorization_notified_at",
    "company",
}


# Free text a person types on General Settings, and its bound: the model's max_length, and for the
# encrypted client secret (a TextField underneath) this one. Lightspeed's client secrets are 64
# characters; a bound keeps a pasted document out of the database and the change log.
CLIENT_SECRET_MAX_LENGTH = 200
FREE_TEXT_FIELDS = ("account_id", "redirect_uri", "client_id", "client_secret")
# http:// only to this machine (the demo, development); anything else must be https://.
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# The characters a URL may hold (RFC 3986: unreserved, reserved and %-escapes): no spaces, quotes,
# angle brackets, braces, backslashes or anything else a page or a log could take for markup.
URL_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")


class SettingsChangeError(RefusalError):
    """The settings change was refused; nothing was saved. `field`: the setting it is about."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def free_text_max_length(name: str) -> int:
    if name == "client_secret":
        return CLIENT_SECRET_MAX_LENGTH
    return LightspeedSettings._meta.get_field(name).max_length


def redirect_uri_problem(value: str) -> str | None:
    """What is wrong with a Redirect URI, in words, or None. The one check, for the form and the
    service alike: a full URL, https:// unless to this machine (or this deployment's own callback,
    which SITE_URL builds), at most 500 characters, URL characters only, no # fragment."""
    example = default_redirect_uri()
    limit = free_text_max_length("redirect_uri")
    if len(value) > limit:
        return f"A Redirect URI has at most {limit} characters (this one has {len(value)})."
    if not URL_CHARACTERS.fullmatch(value):
        return (
            "A Redirect URI holds only the characters of a URL: no spaces, quotes, < > or similar. "
            f"Enter the callback URL, like {example}."
        )
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        return f"Enter the full callback URL, like {example} (with https://)."
    if parts.fragment or "#" in value:
        return "A Redirect URI cannot contain a # fragment."
    if parts.username is not None or parts.password is not None:
        return "A Redirect URI cannot contain a user name or password."
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS and value != example:
        return "A Redirect URI must start with https:// (http:// is only for localhost and 127.0.0.1)."
    return None


def free_text_refusal(settings_obj: LightspeedSettings) -> SettingsChangeError | None:
    """Bounds on the free text of General Settings, and the Redirect URI's rules."""
    for name in FREE_TEXT_FIELDS:
        value = getattr(settings_obj, name) or ""
        limit = free_text_max_length(name)
        if len(value) > limit:
            label = settings_obj._meta.get_field(name).verbose_name
            return SettingsChangeError(
                f"{label} has at most {limit} characters (this one has {len(value)}).", field=name
            )
    problem = redirect_uri_problem(settings_obj.redirect_uri or "")
    return SettingsChangeError(problem, field="redirect_uri") if problem else None


def lightspeed_settings_validate(
    settings_obj: LightspeedSettings, *, was_enabled: bool = False, was_price_level: int | None = None
) -> None:
    """Raises SettingsChangeError with a message for the person when the settings do not hold.

    `was_enabled`: Lightspeed POS Enabled was already on before this change. Only turning it on
    needs a working token: a company whose connection was lost while on must still be able to
    change its other settings (its jobs are refused until it is re-authorized anyway).
    `was_price_level`: the stored price level. Only choosing a level checks it against
    Lightspeed's: one archived there since it was chosen must not block saving anything else.
    """
    refusal = free_text_refusal(settings_obj)
    if refusal is not None:
        raise refusal
    turning_on = settings_obj.enabled and not was_enabled
    if turning_on and not (settings_obj.is_connected and settings_obj.account_id):
        raise SettingsChangeError(
            "Lightspeed POS Enabled cannot be turned on without a working token and AccountID: "
            "run Fetch Token first."
        )
    if settings_obj.enabled and settings_obj.order_download_enabled:
        refusal = settings_obj.order_download_refusal()
        if refusal:
            raise SettingsChangeError(refusal)
    company_id = settings_obj.company_id
    for name in ("shop", "register", "employee", "returns_warehouse"):
        related = getattr(settings_obj, name)
        if related is not None and related.company_id != company_id:
            raise SettingsChangeError(
                f"{settings_obj._meta.get_field(name).verbose_name} belongs to another company."
            )
    account_id = settings_obj.account_id
    if account_id and not account_id.isdigit():
        raise SettingsChangeError("AccountID is a number: the Lightspeed Site ID, e.g. 100001.")
    token_account = oauth.account_id_from_token(settings_obj.auth_token) if settings_obj.auth_token else None
    if account_id and token_account and token_account != account_id:
        raise SettingsChangeError(
            f"AccountID must be {token_account}, the account of the current token. To connect another "
            "account, Disconnect first."
        )
    changing_level = settings_obj.price_level != was_price_level
    price_level_refused = changing_level and price_level_refusal(company_id, settings_obj.price_level)
    if price_level_refused:
        raise SettingsChangeError(price_level_refused)
    if settings_obj.register_id and not settings_obj.shop_id:
        raise SettingsChangeError("Choose the Shop Name that the Lightspeed Register ID belongs to.")
    if settings_obj.register_id and settings_obj.register.shop_id != settings_obj.shop_id:
        raise SettingsChangeError(
            f"The Lightspeed Register ID must be a register of the chosen shop: {settings_obj.register.name} "
            f"belongs to {settings_obj.register.shop.name}, not {settings_obj.shop.name}."
        )
    employee = settings_obj.employee
    if (
        employee is not None
        and settings_obj.shop_id
        and employee.limit_to_shop_id
        and employee.limit_to_shop_id != settings_obj.shop.shop_id
    ):
        raise SettingsChangeError(
            f"The Lightspeed EmployeeID {employee} may only work in another shop at Lightspeed."
        )


def lightspeed_settings_save(
    *, settings_obj: LightspeedSettings, actor: User | None, changes: dict[str, Any]
) -> LightspeedSettings:
    """Applies `changes` (field name → new value) to the stored row, logs each change, saves.

    Raises SettingsChangeError (nothing saved) when the result would be inconsistent.
    """
    refused = set(changes) & CONNECTION_FIELDS
    if refused:
        raise SettingsChangeError(f"{', '.join(sorted(refused))} change only through Fetch Token.")
    with transaction.atomic():
        stored = LightspeedSettings.objects.select_for_update().get(pk=settings_obj.pk)
        before = field_values(stored, changes.keys())
        was_enabled, was_price_level = stored.enabled, stored.price_level
        for name, value in changes.items():
            setattr(stored, name, value)
        lightspeed_settings_validate(stored, was_enabled=was_enabled, was_price_level=was_price_level)
        stored.save()
        logged = changelog_record(instance=stored, before=before, company=stored.company, actor=actor)
        for row in logged:
            if row.field == "price_level":
                # By name, as the page shows it: "Online (3)", not a bare useTypeID.
                row.old_value = price_level_label(stored.company_id, before["price_level"])
                row.new_value = price_level_label(stored.company_id, stored.price_level)
                row.save(update_fields=["old_value", "new_value"])
    return stored
