"""Onboarding: where a company's import of its Lightspeed catalogue as products has got to."""

from __future__ import annotations

from django.db import models

from integrations.commerce.models import Company


class CatalogImportCursor(models.Model):
    """The resume point of a company's `catalog_import`: items are read in itemID order, and each
    page is committed with the id it ended on, so a run that died goes on after it."""

    company = models.OneToOneField(
        Company, on_delete=models.CASCADE, related_name="lightspeed_catalog_import_cursor"
    )
    after_item_id = models.PositiveBigIntegerField(
        default=0, help_text="Items up to this itemID are done (0: start from the first)."
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty while an import is unfinished: the next run resumes it."
    )

    class Meta:
        verbose_name = "catalog import cursor"

    def __str__(self) -> str:
        state = "finished" if self.finished_at else f"after item {self.after_item_id}"
        return f"{self.company}: catalog import {state}"
