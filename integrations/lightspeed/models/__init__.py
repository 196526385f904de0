"""The Lightspeed POS channel's data, one module per capability, all imported here for Django.

connection (settings, tokens, OAuth state, rate bucket), shops (shops, registers, employees, price
levels, the shop mapping), runs (SyncRun, SyncIssue), orders, catalog, live (the change probe's
schedule, freshness and API usage), operations.
"""

from integrations.lightspeed.models.catalog import (
    CatalogCursor,
    ItemShopState,
    MatrixLink,
    ProductLink,
    StockDrift,
    UploadPreview,
)
from integrations.lightspeed.models.connection import (
    CALLBACK_PATH,
    REFRESH_TOKEN_KEEP_ALIVE,
    ApiBucket,
    ConnectionStatus,
    LightspeedSettings,
    OAuthState,
    default_redirect_uri,
    mask_secret,
)
from integrations.lightspeed.models.live import ApiUsageMinute, FreshnessSample, LiveState
from integrations.lightspeed.models.onboarding import CatalogImportCursor
from integrations.lightspeed.models.operations import (
    AlertNotice,
    Dashboard,
    FreshnessThreshold,
    MetricCounter,
)
from integrations.lightspeed.models.orders import (
    LightspeedSale,
    LightspeedSaleLine,
    OrderCursor,
    UnmatchedItem,
)
from integrations.lightspeed.models.runs import SyncIssue, SyncRun
from integrations.lightspeed.models.shops import (
    LightspeedEmployee,
    LightspeedPriceLevel,
    LightspeedRegister,
    LightspeedShop,
    LightspeedShopWarehouse,
)

__all__ = [
    "CALLBACK_PATH",
    "REFRESH_TOKEN_KEEP_ALIVE",
    "AlertNotice",
    "ApiBucket",
    "ApiUsageMinute",
    "CatalogCursor",
    "CatalogImportCursor",
    "ConnectionStatus",
    "Dashboard",
    "FreshnessSample",
    "FreshnessThreshold",
    "ItemShopState",
    "LightspeedEmployee",
    "LightspeedPriceLevel",
    "LightspeedRegister",
    "LightspeedSale",
    "LightspeedSaleLine",
    "LightspeedSettings",
    "LightspeedShop",
    "LightspeedShopWarehouse",
    "LiveState",
    "MatrixLink",
    "MetricCounter",
    "OAuthState",
    "OrderCursor",
    "ProductLink",
    "StockDrift",
    "SyncIssue",
    "SyncRun",
    "UnmatchedItem",
    "UploadPreview",
    "default_redirect_uri",
    "mask_secret",
]
