"""Admin pages of operations: the dashboard, sync runs (live while running) and the issues
queue with its actions (retry, map to a product, ignore), all behind the company wall; and the
freshness alert's thresholds, which only ops staff see and set."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.timesince import timesince

from integrations.commerce.models import Product
from integrations.core.admin import CompanyScopedAdmin, sees_all_companies, user_company_id
from integrations.lightspeed.models import Dashboard, FreshnessThreshold, SyncIssue, SyncRun
from integrations.lightspeed.operations import views as views_dashboard
from integrations.lightspeed.operations.services import issues as issue_services


@admin.register(Dashboard)
class DashboardAdmin(admin.ModelAdmin):
    """The dashboard's place in the admin: its changelist is the dashboard itself."""

    def has_view_permission(self, request, obj=None):
        walled_out = not sees_all_companies(request.user) and user_company_id(request.user) is None
        return not walled_out and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        def view(func):
            def wrapper(request, *args, **kwargs):
                if not self.has_view_permission(request):
                    raise PermissionDenied
                return func(self, request, *args, **kwargs)

            return self.admin_site.admin_view(wrapper)

        return [
            path("live/", view(views_dashboard.live_view), name="lightspeed_dashboard_live"),
            path("sync-now/", view(views_dashboard.sync_now_view), name="lightspeed_dashboard_sync_now"),
            path(
                "replay-sale/",
                view(views_dashboard.replay_sale_view),
                name="lightspeed_dashboard_replay_sale",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return views_dashboard.dashboard_view(self, request)


@admin.register(FreshnessThreshold)
class FreshnessThresholdAdmin(admin.ModelAdmin):
    """Ops staff set when the freshness alert fires, per company or for all; merchants never see it
    (they hold no permission on it, and the wall below holds even if someone granted one)."""

    list_display = ("applies_to", "p95_seconds", "min_samples", "updated_at")
    list_select_related = ("company",)
    fields = ("company", "p95_seconds", "min_samples")

    @admin.display(description="applies to", ordering="company__name")
    def applies_to(self, obj: FreshnessThreshold) -> str:
        return str(obj.company) if obj.company_id else "Every company without its own"

    def has_module_permission(self, request):
        return sees_all_companies(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return sees_all_companies(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return sees_all_companies(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return sees_all_companies(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return sees_all_companies(request.user) and super().has_delete_permission(request, obj)


@admin.register(SyncRun)
class SyncRunAdmin(CompanyScopedAdmin):
    list_display = (
        "job",
        "company",
        "trigger",
        "started_at",
        "duration_or_progress",
        "outcome",
        "counts_short",
        "api_requests",
        "api_rate_limited",
        "api_cost",
        "short_error",
    )
    list_filter = ("job", "outcome", "trigger", "company")
    date_hierarchy = "started_at"
    readonly_fields = ("progress",)
    fieldsets = (
        (None, {"fields": ("company", "job", "trigger", "dry_run", "outcome", "error")}),
        ("Timing", {"fields": ("started_at", "finished_at", "progress")}),
        ("What it did", {"fields": ("counts",)}),
        (
            "Lightspeed API",
            {
                "fields": (
                    "api_requests",
                    "api_rate_limited",
                    "api_cost",
                    "api_bucket_peak",
                    "api_bucket_size",
                    "api_statuses",
                )
            },
        ),
    )

    # Runs are written by the jobs only.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="duration / progress")
    def duration_or_progress(self, run: SyncRun) -> str:
        if run.outcome != SyncRun.Outcome.RUNNING:
            return str(run.duration).split(".")[0] if run.duration else "—"
        return self.progress(run)

    @admin.display(description="progress")
    def progress(self, run: SyncRun) -> str:
        if run.outcome != SyncRun.Outcome.RUNNING:
            return f"finished: {run.progress_done} done"
        done = (
            f"{run.progress_done} of {run.progress_total}" if run.progress_total else f"{run.progress_done}"
        )
        quiet = timesince(run.heartbeat_at or run.started_at, timezone.now())
        return f"running for {timesince(run.started_at)}: {done} done, {run.api_requests} requests (last progress {quiet} ago)"

    @admin.display(description="counts")
    def counts_short(self, run: SyncRun) -> str:
        return ", ".join(f"{k} {v}" for k, v in sorted((run.counts or {}).items()) if v) or "—"

    @admin.display(description="error")
    def short_error(self, run: SyncRun) -> str:
        return run.error[:120]


MAP_CHOICES_SHOWN = 200  # more products than this: search first


class MapToProductForm(forms.Form):
    product = forms.ModelChoiceField(queryset=Product.objects.none(), label="Product")

    def __init__(self, *args, company_id: int, search: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        products = Product.objects.filter(company_id=company_id, is_parent=False).order_by("sku")
        if search:
            products = products.filter(
                Q(sku__icontains=search) | Q(title__icontains=search) | Q(upc=search) | Q(ean=search)
            )
        self.fields["product"].queryset = products


@admin.register(SyncIssue)
class SyncIssueAdmin(CompanyScopedAdmin):
    change_form_template = "admin/lightspeed/syncissue/change_form.html"
    list_display = (
        "kind",
        "key",
        "message_short",
        "count",
        "first_seen_at",
        "last_seen_at",
        "status",
        "company",
    )
    list_filter = ("status", "kind", "company")
    search_fields = ("key", "message")
    actions = ["retry_issues", "ignore_issues"]
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
        "resolved_at",
        "resolved_by",
        "resolution",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def get_urls(self):
        return [
            path(
                "<path:object_id>/act/<str:action>/",
                self.admin_site.admin_view(self.act_view),
                name="lightspeed_syncissue_act",
            ),
            *super().get_urls(),
        ]

    def act_view(self, request, object_id, action):
        """Retry, ignore or map one issue (buttons on its page and on the dashboard)."""
        issue = self.get_object(request, object_id)
        if issue is None or not self.has_change_permission(request, issue):
            raise PermissionDenied
        back = request.POST.get("next") or ""
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = reverse("admin:lightspeed_syncissue_change", args=[issue.pk])
        if action == "map":
            search = request.GET.get("q", "").strip()
            form = MapToProductForm(request.POST or None, company_id=issue.company_id, search=search)
            too_many = not search and form.fields["product"].queryset.count() > MAP_CHOICES_SHOWN
            if request.method == "POST" and form.is_valid():
                self._do(
                    request,
                    lambda: (
                        issue_services.issue_map_to_product(
                            issue=issue, product=form.cleaned_data["product"], actor=request.user
                        ).message
                    ),
                )
                return HttpResponseRedirect(back)
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "issue": issue,
                "form": None if too_many and request.method != "POST" else form,
                "search": search,
                "title": f"Map Lightspeed item {issue.key} to a product",
            }
            return TemplateResponse(request, "admin/lightspeed/syncissue/map.html", context)
        if request.method != "POST":
            return HttpResponseRedirect(back)
        if action == "retry":
            self._do(request, lambda: issue_services.issue_retry(issue=issue, actor=request.user).message)
        elif action == "ignore":
            self._do(
                request, lambda: (issue_services.issue_ignore(issue=issue, actor=request.user), "Ignored.")[1]
            )
        else:
            messages.error(request, f"Unknown action {action!r}.")
        return HttpResponseRedirect(back)

    def _do(self, request, call) -> None:
        try:
            messages.success(request, call())
        except issue_services.IssueActionError as exc:
            messages.error(request, exc.message)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        issue = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if issue is not None:
            extra_context.update(
                # Every field is read-only: the issue changes through its actions, which record who.
                show_save=False,
                show_save_and_continue=False,
                show_save_and_add_another=False,
                can_retry=issue_services.can_retry(issue),
                can_map=issue_services.can_map(issue),
                can_ignore=issue.status == SyncIssue.Status.OPEN,
                retry_url=reverse("admin:lightspeed_syncissue_act", args=[issue.pk, "retry"]),
                ignore_url=reverse("admin:lightspeed_syncissue_act", args=[issue.pk, "ignore"]),
                map_url=reverse("admin:lightspeed_syncissue_act", args=[issue.pk, "map"]),
            )
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description="Retry selected issues (replay what they held back)", permissions=["change"])
    def retry_issues(self, request, queryset):
        for issue in queryset:
            try:
                outcome = issue_services.issue_retry(issue=issue, actor=request.user)
                messages.success(request, f"{issue.kind} {issue.key}: {outcome.message}")
            except issue_services.IssueActionError as exc:
                messages.error(request, f"{issue.kind} {issue.key}: {exc.message}")

    @admin.action(description="Ignore selected issues", permissions=["change"])
    def ignore_issues(self, request, queryset):
        ignored = 0
        for issue in queryset.filter(status=SyncIssue.Status.OPEN):
            issue_services.issue_ignore(issue=issue, actor=request.user)
            ignored += 1
        messages.success(request, f"{ignored} issue(s) ignored.")

    @admin.display(description="message")
    def message_short(self, issue: SyncIssue) -> str:
        return issue.message[:120]

    @admin.display(description="excerpt")
    def excerpt_block(self, issue: SyncIssue) -> str:
        return (
            format_html("<pre style='white-space:pre-wrap'>{}</pre>", issue.excerpt) if issue.excerpt else "—"
        )
