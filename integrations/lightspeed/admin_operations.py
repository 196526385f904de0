"""Admin pages of operations: sync runs and the issues queue, behind the company wall."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html

from integrations.core.admin import CompanyScopedAdmin
from integrations.lightspeed.models import SyncIssue, SyncRun


@admin.register(SyncRun)
class SyncRunAdmin(CompanyScopedAdmin):
    list_display = (
        "job",
        "company",
        "trigger",
        "started_at",
        "duration",
        "outcome",
        "api_requests",
        "api_rate_limited",
        "short_error",
    )
    list_filter = ("job", "outcome", "trigger", "company")
    date_hierarchy = "started_at"

    # Runs are written by the jobs only.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="error")
    def short_error(self, run: SyncRun) -> str:
        return run.error[:120]


@admin.register(SyncIssue)
class SyncIssueAdmin(CompanyScopedAdmin):
    list_display = ("kind", "key", "message_short", "count", "last_seen_at", "status", "company")
    list_filter = ("status", "kind", "company")
    search_fields = ("key", "message")
    fields = (
        "company",
        "kind",
        "key",
        "message",
        "excerpt_block",
        "first_seen_at",
        "last_seen_at",
        "count",
        "status",
    )
    readonly_fields = (
        "company",
        "kind",
        "key",
        "message",
        "excerpt_block",
        "first_seen_at",
        "last_seen_at",
        "count",
    )

    def has_add_permission(self, request):
        return False

    @admin.display(description="message")
    def message_short(self, issue: SyncIssue) -> str:
        return issue.message[:120]

    @admin.display(description="excerpt")
    def excerpt_block(self, issue: SyncIssue) -> str:
        return (
            format_html("<pre style='white-space:pre-wrap'>{}</pre>", issue.excerpt) if issue.excerpt else "—"
        )
