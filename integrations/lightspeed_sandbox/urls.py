"""The sandbox's URLs: Lightspeed's real paths (OAuth host and API host on one port) and `/_sandbox/`.

API paths answer JSON with the `.json` suffix or with `Accept: application/json`; without either
Lightspeed answers XML, which the sandbox does not speak (it says so with a 406).
"""

from django.urls import path, re_path

from integrations.lightspeed_sandbox.views import api, control, fleet, oauth

urlpatterns = [
    path("auth/oauth/authorize", oauth.authorize),
    path("auth/oauth/token", oauth.token),
    path("auth/oauth/revoke", oauth.revoke),
    path("oauth/authorize.php", oauth.authorize_legacy),
    path("oauth/access_token.php", oauth.token_legacy),
    re_path(r"^API/(?:(?P<v3>V3)/)?Account(?:\.json)?$", api.account_list),
    re_path(r"^API/(?:(?P<v3>V3)/)?Session(?:\.json)?$", api.session),
    re_path(r"^API/(?:(?P<v3>V3)/)?Account/(?P<account_id>\d+)(?:\.json)?$", api.account_detail),
    re_path(
        r"^API/(?:(?P<v3>V3)/)?Account/(?P<account_id>\d+)/(?P<name>[A-Za-z]+)(?:/(?P<pk>\d+))?"
        r"(?:/(?P<action>refund))?(?:\.json)?$",
        api.resource,
    ),
    path("_sandbox/reset", control.reset),
    path("_sandbox/seed", control.seed),
    path("_sandbox/faults", control.fault_collection),
    path("_sandbox/requests", control.requests_log),
    path("_sandbox/stats", control.stats),
    path("_sandbox/tokens", control.tokens),
    path("_sandbox/clock", control.clock_view),
    path("_sandbox/simulator", control.simulator_view),
    path("_sandbox/latency", control.latency_view),
    path("_sandbox/sales/<int:sale_id>/void", control.sale_void),
    path("_sandbox/accounts", fleet.accounts),
    path("_sandbox/accounts/tokens", fleet.account_tokens),
    path("_sandbox/accounts/<int:account_id>/sales", fleet.account_sales),
    path("_sandbox/accounts/<int:account_id>/items", fleet.account_items),
]
