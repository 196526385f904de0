"""The admin of the Lightspeed POS channel: each capability registers its own pages.

Django's admin autodiscovery imports this module; importing the capability admins runs their
registrations. The index and sidebar show the channel as merchants know it: a "Lightspeed POS"
group of setup pages (General Settings first, Manage Lightspeed Shops beside it, then what was
downloaded from Lightspeed) and, apart from them, the operations lists.
"""

from django.contrib import admin

from integrations.core.admin_site import AdminGroup
from integrations.lightspeed.catalog import admin as catalog_admin  # noqa: F401
from integrations.lightspeed.connection import admin as connection_admin  # noqa: F401
from integrations.lightspeed.operations import admin as operations_admin  # noqa: F401
from integrations.lightspeed.orders import admin as orders_admin  # noqa: F401

admin.site.register_groups(
    "lightspeed",
    AdminGroup(
        "Lightspeed POS",
        ("lightspeedsettings", "lightspeedshop", "lightspeedregister", "lightspeedemployee"),
    ),
    AdminGroup(
        "Lightspeed POS operations",
        (
            "dashboard",
            "syncrun",
            "syncissue",
            "lightspeedsale",
            "unmatcheditem",
            "productlink",
            "matrixlink",
            "uploadpreview",
            "stockdrift",
            "freshnessthreshold",
        ),
    ),
)
