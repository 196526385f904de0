from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class NamedLock(models.Model):
    """A held lock on the embedded default (no Redis): see integrations.core.locks."""

    name = models.CharField(max_length=200, unique=True)
    token = models.CharField(max_length=64)
    acquired_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "lock"

    def __str__(self) -> str:
        return self.name


class ChangeLog(models.Model):
    """One changed field of one object: who, when, old → new (secrets only as "changed").

    Written by `integrations.core.changelog.changelog_record` in the transaction of the change.
    """

    SECRET_PLACEHOLDER = "changed"

    company = models.ForeignKey(
        "commerce.Company", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(
        max_length=150,
        blank=True,
        help_text="Who changed it when not a user, e.g. “Fetch Token” or “system”.",
    )
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200, blank=True)
    field = models.CharField(max_length=100)
    field_label = models.CharField(max_length=200, blank=True)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    is_secret = models.BooleanField(default=False)
    changed_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "change log entry"
        verbose_name_plural = "change log"
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "changed_at"])]

    def __str__(self) -> str:
        return f"{self.field_label or self.field}: {self.old_value} → {self.new_value}"


class Heartbeat(models.Model):
    """The last time a periodic process proved it was alive (the beat tick), for /healthz."""

    name = models.CharField(max_length=50, unique=True)
    beat_at = models.DateTimeField()

    class Meta:
        verbose_name = "heartbeat"

    def __str__(self) -> str:
        return f"{self.name} at {self.beat_at:%Y-%m-%d %H:%M:%S}"
