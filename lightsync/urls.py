from django.contrib import admin
from django.urls import include, path

from integrations.core.admin import company_scoped_shortcut

urlpatterns = [
    # Before admin.site.urls: Django's own `admin/r/` shortcut does not check the company wall.
    path(
        "admin/r/<int:content_type_id>/<path:object_id>/",
        admin.site.admin_view(company_scoped_shortcut),
    ),
    path("admin/", admin.site.urls),
    path("lightspeed/", include("integrations.lightspeed.urls")),
    path("", include("integrations.core.urls")),
]
