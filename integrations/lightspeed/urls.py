from django.urls import path

from integrations.lightspeed.connection import views

app_name = "lightspeed"

urlpatterns = [
    path("oauth/start/<int:company_id>/", views.fetch_token_start_view, name="fetch_token_start"),
    # DESIGN.md §5: the callback registered at Lightspeed is /lightspeed/oauth/callback/
    path("oauth/callback/", views.oauth_callback_view, name="oauth_callback"),
]
