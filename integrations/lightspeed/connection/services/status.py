"""The connection's state: the settings row, and losing the connection (once, loudly)."""

from __future__ import annotations

import logging

from django.conf import settings as django_settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from integrations.commerce.models import Company
from integrations.core.changelog import changelog_record, field_values
from integrations.lightspeed.connection.selectors import alert_recipients
from integrations.lightspeed.models import ConnectionStatus, LightspeedSettings

logger = logging.getLogger(__name__)


def lightspeed_settings_get(*, company: Company) -> LightspeedSettings:
    """The company's Lightspeed settings, created with defaults on first use."""
    settings_obj, _ = LightspeedSettings.objects.get_or_create(company=company)
    return settings_obj


def connection_lost(*, company_id: int, reason: str) -> LightspeedSettings:
    """Marks the connection "re-authorization required", records why, and tells people once.

    Jobs of the company refuse to run from now on; nothing retries until a person runs Fetch
    Token again (which resets the state and the one-time notification).
    """
    with transaction.atomic():
        settings_obj = LightspeedSettings.objects.select_for_update().get(company_id=company_id)
        before = field_values(settings_obj, ["connection_status", "connection_error"])
        settings_obj.connection_status = ConnectionStatus.REAUTHORIZATION_REQUIRED
        settings_obj.connection_error = reason
        notify = settings_obj.reauthorization_notified_at is None
        if notify:
            settings_obj.reauthorization_notified_at = timezone.now()
        settings_obj.save(
            update_fields=[
                "connection_status",
                "connection_error",
                "reauthorization_notified_at",
                "updated_at",
            ]
        )
        changelog_record(
            instance=settings_obj, before=before, company=settings_obj.company, actor_label="Lightspeed"
        )
        if notify:
            # robust: a mail server that is down must not turn the refusal into an SMTP error for
            # the caller (logged; the alerts check mails the condition again after its quiet period).
            transaction.on_commit(lambda: reauthorization_notify(company_id=company_id), robust=True)
    logger.warning("Lightspeed connection of company %s needs re-authorization: %s", company_id, reason)
    return settings_obj


def reauthorization_notify(*, company_id: int) -> int:
    """Emails the company's users and ops staff that the connection needs a person. Returns count."""
    settings_obj = LightspeedSettings.objects.select_related("company").get(company_id=company_id)
    recipients = alert_recipients(settings_obj.company)
    if not recipients:
        return 0
    page = f"{django_settings.SITE_URL}{reverse('admin:lightspeed_lightspeedsettings_change', args=[settings_obj.pk])}"
    body = (
        f"LightSync can no longer reach Lightspeed for {settings_obj.company.name}.\n\n"
        f"Reason: {settings_obj.connection_error}\n\n"
        "Until someone connects again, no orders are downloaded and no stock, prices or costs are "
        "uploaded for this company. To reconnect, open Lightspeed POS → General Settings and choose "
        f"Actions → Fetch Token:\n{page}\n"
    )
    subject = f"[LightSync] Lightspeed needs re-authorization for {settings_obj.company.name}"
    # One message per person: merchants must not see each other's (or ops staff's) addresses.
    return send_mass_mail([(subject, body, None, [email]) for email in recipients], fail_silently=False)
