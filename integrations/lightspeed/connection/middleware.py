"""The re-authorization banner: every admin page tells the people concerned, until it is fixed."""

from __future__ import annotations

from django.contrib import messages
from django.urls import reverse

from integrations.lightspeed.connection.selectors import companies_needing_reauthorization_for


class ReauthorizationBannerMiddleware:
    """Adds the banner to admin pages as they are rendered.

    Only a page about to be rendered gets it (`process_template_response`): a message added to a
    redirect, or to a JSON poll such as the dashboard's live progress, is kept for the next page,
    which then adds its own and shows the banner twice (or once per poll). A company's own General
    Settings page states the reason at the top (`connection_stated_for` in its context), so it
    gets no banner for that company.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self._admin_prefix: str | None = None

    def __call__(self, request):
        return self.get_response(request)

    def process_template_response(self, request, response):
        if self._wants_banner(request):
            stated_here = (getattr(response, "context_data", None) or {}).get("connection_stated_for")
            needing = companies_needing_reauthorization_for(request.user).exclude(company_id=stated_here)
            for settings_obj in needing[:5]:
                messages.warning(
                    request,
                    f"Lightspeed needs re-authorization for {settings_obj.company.name}: "
                    f"{settings_obj.connection_error} "
                    "(Lightspeed POS → General Settings → Actions → Fetch Token)",
                )
        return response

    def _wants_banner(self, request) -> bool:
        if self._admin_prefix is None:
            self._admin_prefix = reverse("admin:index")
        user = getattr(request, "user", None)
        return (
            request.method == "GET"
            and request.path.startswith(self._admin_prefix)
            and "/jsi18n/" not in request.path
            and user is not None
            and user.is_authenticated
            and user.is_staff
        )
