"""The sandbox's tables (in its own SQLite file): retail records, then its own machinery.

Field names are Lightspeed's own (camelCase); see `retail`.
"""

from .catalog import InventoryCount, ItemAttributeSet, ItemMatrix
from .retail import (
    ZERO,
    Account,
    ApiClient,
    Customer,
    Employee,
    Item,
    ItemPrice,
    ItemShop,
    PaymentType,
    PriceLevel,
    Register,
    Sale,
    SaleLine,
    SalePayment,
    SaleVoid,
    Shop,
    default_price_levels,
    money,
)
from .system import (
    AccessToken,
    AuthCode,
    Bucket,
    Fault,
    RefreshToken,
    RequestLog,
    SandboxState,
)

__all__ = [
    "ZERO",
    "default_price_levels",
    "money",
    "Account",
    "PriceLevel",
    "ApiClient",
    "Employee",
    "Shop",
    "Register",
    "PaymentType",
    "Item",
    "ItemPrice",
    "ItemShop",
    "ItemMatrix",
    "ItemAttributeSet",
    "InventoryCount",
    "Customer",
    "Sale",
    "SaleLine",
    "SalePayment",
    "SaleVoid",
    "AuthCode",
    "RefreshToken",
    "AccessToken",
    "Bucket",
    "RequestLog",
    "Fault",
    "SandboxState",
]
