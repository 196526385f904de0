"""The admin of the Lightspeed POS channel: each capability registers its own pages.

Django's admin autodiscovery imports this module; importing the capability admins runs their
registrations.
"""

from integrations.lightspeed.catalog import admin as catalog_admin  # noqa: F401
from integrations.lightspeed.connection import admin as connection_admin  # noqa: F401
from integrations.lightspeed.operations import admin as operations_admin  # noqa: F401
from integrations.lightspeed.orders import admin as orders_admin  # noqa: F401
