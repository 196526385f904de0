"""LightSync's admin site: the index and the sidebar in the words merchants know.

Django shows each app as one group of its models in alphabetical order. An app with many pages
can instead register named groups, each listing its models in the order people work through
them (`register_groups`): the Lightspeed POS channel puts its setup pages apart from its
operations lists. A model admin may also show its entry differently to the person looking, or
add entries beside it, through a `get_nav_entries(request, entry)` method (a merchant's General
Settings opens their own company's page).

Only the presentation changes. Which models a person sees, their URLs and their permissions are
Django's own (`AdminSite.get_app_list`), so company walls and permissions hold as they did.
Installed as `admin.site` by `integrations.core.apps.LightSyncAdminConfig`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class AdminGroup:
    """A group of the admin index and sidebar: its title and its models' `model_name`s, in order."""

    name: str
    models: tuple[str, ...]


class LightSyncAdminSite(admin.AdminSite):
    # The admin is LightSync's product UI for merchants and ops staff: it carries the product's name.
    site_header = "LightSync"
    site_title = "LightSync"
    index_title = "Orders, inventory and the Lightspeed POS channel"

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)
        self._groups: dict[str, tuple[AdminGroup, ...]] = {}

    def register_groups(self, app_label: str, *groups: AdminGroup) -> None:
        """Show `app_label`'s models as these groups, in this order.

        A model that no group names joins the end of the first group: a page registered later
        is never hidden by a list that forgot it.
        """
        self._groups[app_label] = groups

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict]:
        return [
            group
            for app in super().get_app_list(request, app_label)
            for group in self._app_groups(request, app)
        ]

    def app_index(self, request: HttpRequest, app_label: str, extra_context: dict | None = None):
        # An app shown as several groups is still one app: its page (title and breadcrumbs, see
        # templates/admin/app_index.html) is named after the app, not after each group.
        name = apps.get_app_config(app_label).verbose_name
        context = {"title": _("%(app)s administration") % {"app": name}, "app_name": name}
        return super().app_index(request, app_label, {**context, **(extra_context or {})})

    def _app_groups(self, request: HttpRequest, app: dict) -> list[dict]:
        groups = self._groups.get(app["app_label"])
        if not groups:
            return [{**app, "models": self._entries(request, app["models"])}]
        unplaced = {entry["model"]._meta.model_name: entry for entry in app["models"]}
        placed = [[unplaced.pop(name) for name in group.models if name in unplaced] for group in groups]
        placed[0].extend(unplaced.values())  # still in Django's alphabetical order
        return [
            {**app, "name": group.name, "models": self._entries(request, entries)}
            for group, entries in zip(groups, placed, strict=True)
            if entries
        ]

    def _entries(self, request: HttpRequest, entries: list[dict]) -> list[dict]:
        shown = []
        for entry in entries:
            model_admin = self._registry.get(entry["model"])
            nav_entries = getattr(model_admin, "get_nav_entries", None)
            shown.extend(nav_entries(request, entry) if nav_entries else [entry])
        return shown
