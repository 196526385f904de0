"""The one deterministic demo catalogue.

`seed_demo` (LightSync's side) and the Lightspeed sandbox's `demo` dataset both read it, so most
SKUs and UPCs match on purpose, with a few deliberate differences that exercise the matching
rules: products Lightspeed does not have yet (auto-create), items only Lightspeed has, a UPC used
twice in Lightspeed, and an item without a custom SKU.

Pure data: no Django models are imported here, so the sandbox can read it without sharing code
with the Lightspeed integration.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

SEED = 20261126

DEMO_COMPANY = "Demo Outfitters"
HARBOR_COMPANY = "Harbor Goods"
DEMO_ACCOUNT_ID = 100001
DEMO_ACCOUNT_NAME = "Demo Outfitters"


@dataclass(frozen=True)
class DemoWarehouse:
    code: str
    name: str
    sellable: bool
    default: bool = False


@dataclass(frozen=True)
class DemoShop:
    shop_id: int
    name: str
    time_zone: str
    warehouse_code: str  # the LightSync warehouse that stocks this shop in the demo
    registers: tuple[str, ...]


@dataclass(frozen=True)
class DemoEmployee:
    employee_id: int
    first_name: str
    last_name: str
    limit_to_shop_id: int = 0  # 0: works in every shop


@dataclass(frozen=True)
class DemoProduct:
    sku: str
    title: str
    upc: str
    ean: str
    manufacturer_sku: str
    price: Decimal
    cost: Decimal
    category: str
    stock: tuple[tuple[str, int], ...]  # (warehouse code, on hand)
    style: str = ""  # the parent's SKU when this product is a variation of a style
    attributes: tuple[tuple[str, str], ...] = ()  # (attribute name, value), e.g. ("Color", "Navy")

    def stock_in(self, warehouse_code: str) -> int:
        return dict(self.stock).get(warehouse_code, 0)


@dataclass(frozen=True)
class DemoItem:
    """An item as the sandbox holds it in the demo Lightspeed account."""

    item_id: int
    description: str
    custom_sku: str
    upc: str
    ean: str
    manufacturer_sku: str
    default_price: Decimal
    default_cost: Decimal
    category: str
    qoh: tuple[tuple[int, int], ...]  # (shop id, quantity on hand)
    note: str = ""  # why the item is special, for people reading the demo
    matrix_id: int = 0  # the ItemMatrix this item belongs to, 0 for none
    attribute_values: tuple[str, str, str] = ("", "", "")  # ItemAttributes attribute1..3


@dataclass(frozen=True)
class DemoStyle:
    """A style sold in sizes and/or colours: a parent product and, in Lightspeed, an ItemMatrix."""

    sku: str  # the parent product's SKU
    title: str
    category: str
    attribute_names: tuple[str, ...]  # ("Color", "Size"), ("Size",) or ("Color",)
    price: Decimal
    cost: Decimal
    in_lightsync: bool  # Demo Outfitters has the parent and its children
    matrix_id: int = 0  # the demo account's ItemMatrix for it, 0 when Lightspeed lacks it


@dataclass(frozen=True)
class DemoMatrix:
    """An ItemMatrix as the sandbox holds it in the demo Lightspeed account."""

    matrix_id: int
    description: str
    item_attribute_set_id: int  # Lightspeed's built-in sets: 1 Color/Size, 2 Size, 3 Color
    default_price: Decimal
    default_cost: Decimal
    category: str


@dataclass(frozen=True)
class DemoCustomer:
    customer_id: int
    first_name: str
    last_name: str
    company: str
    email: str
    phone: str
    address1: str
    city: str
    state: str
    zip: str
    country: str


DEMO_WAREHOUSES: tuple[DemoWarehouse, ...] = (
    DemoWarehouse("MAIN", "Main", sellable=True, default=True),
    DemoWarehouse("DOWNTOWN", "Downtown", sellable=True),
    DemoWarehouse("UPTOWN", "Uptown", sellable=True),
    DemoWarehouse("OUTLET", "Outlet", sellable=True),
    DemoWarehouse("RETURNS", "Returns", sellable=False),
)

HARBOR_WAREHOUSES: tuple[DemoWarehouse, ...] = (
    DemoWarehouse("DOCK", "Dockside", sellable=True, default=True),
    DemoWarehouse("RETURNS", "Returns", sellable=False),
)

DEMO_SHOPS: tuple[DemoShop, ...] = (
    DemoShop(1, "Downtown", "America/New_York", "DOWNTOWN", ("Register 1", "Register 2")),
    DemoShop(2, "Uptown", "America/New_York", "UPTOWN", ("Front Counter",)),
    DemoShop(3, "Outlet", "America/Chicago", "OUTLET", ("Register 1", "Register 2", "Tent Sale")),
)

DEMO_EMPLOYEES: tuple[DemoEmployee, ...] = (
    DemoEmployee(1, "Dana", "Demo"),  # the account owner who logs in to the sandbox (user demo)
    DemoEmployee(2, "Sam", "Rivera", limit_to_shop_id=1),
    DemoEmployee(3, "Priya", "Shah", limit_to_shop_id=2),
    DemoEmployee(4, "Lee", "Okafor", limit_to_shop_id=3),
    DemoEmployee(5, "Jordan", "Kim"),
)

_CATEGORIES = (
    # (category, SKU prefix, names, sizes, price range, cost ratio)
    (
        "Jackets",
        "JKT",
        ("Alpine Shell", "Ridge Down", "Trail Softshell", "Storm Parka", "Summit Fleece", "Rain Shell"),
        ("S", "M", "L", "XL"),
        (89, 329),
    ),
    (
        "Boots",
        "BOT",
        ("Granite Hiker", "Timberline Mid", "Canyon Low", "Glacier Winter"),
        ("8", "9", "10", "11", "12"),
        (99, 249),
    ),
    ("Tents", "TNT", ("Basecamp 2P", "Ultralight 1P", "Family Dome 4P", "Ridgeline 3P"), ("",), (149, 599)),
    ("Backpacks", "BPK", ("Daypack 22L", "Trekker 45L", "Expedition 65L", "Commuter 28L"), ("",), (49, 289)),
    ("Socks", "SCK", ("Merino Hiker", "Cushioned Crew", "Liner Ankle"), ("S", "M", "L"), (12, 28)),
    ("Hats", "HAT", ("Sun Brim", "Wool Beanie", "Trucker Cap"), ("",), (18, 42)),
    ("Gloves", "GLV", ("Trail Liner", "Insulated Mitt", "Grip Work"), ("S", "M", "L"), (19, 69)),
    ("Hydration", "HYD", ("Steel Bottle 750ml", "Soft Flask 500ml", "Reservoir 2L"), ("",), (14, 45)),
    ("Lighting", "LGT", ("Headlamp 350", "Lantern 500", "Bike Light Pair"), ("",), (24, 89)),
    ("Sleeping", "SLP", ("Down Bag -5C", "Synthetic Bag 5C", "Air Pad", "Pillow"), ("",), (29, 379)),
)
_COLOURS = ("Black", "Blue", "Red", "Green", "Grey", "Orange")


def upc_check_digit(first11: str) -> str:
    odd = sum(int(d) for d in first11[0::2])
    even = sum(int(d) for d in first11[1::2])
    return str((10 - (odd * 3 + even) % 10) % 10)


def ean_check_digit(first12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def _upc(n: int) -> str:
    first11 = f"08{n:09d}"
    return first11 + upc_check_digit(first11)


def _ean(n: int) -> str:
    first12 = f"400{n:09d}"
    return first12 + ean_check_digit(first12)


def _money(value: float) -> Decimal:
    return Decimal(str(round(value, 2))).quantize(Decimal("0.01"))


@cache
def demo_products() -> tuple[DemoProduct, ...]:
    """Demo Outfitters' catalogue: about 500 products, the same every time."""
    rng = random.Random(SEED)
    products: list[DemoProduct] = []
    serial = 1000
    for category, prefix, names, sizes, (low, high) in _CATEGORIES:
        for name in names:
            colours = rng.sample(_COLOURS, k=len(_COLOURS))
            base_price = rng.randint(low, high) - 0.01
            for colour in colours:
                for size in sizes:
                    serial += 1
                    size_part = f"-{size}" if size else ""
                    title = f"{name} — {colour}{', ' + size if size else ''}"
                    price = _money(base_price + (10 if size in ("XL", "12") else 0))
                    cost = _money(float(price) * rng.uniform(0.42, 0.58))
                    # Every 9th product carries an EAN as well, as imported goods do.
                    ean = _ean(serial) if serial % 9 == 0 else ""
                    stock = (
                        ("MAIN", rng.randint(10, 120)),
                        ("DOWNTOWN", rng.randint(0, 25)),
                        ("UPTOWN", rng.randint(0, 20)),
                        ("OUTLET", rng.randint(0, 30)),
                        ("RETURNS", rng.choice((0, 0, 0, 0, 1, 2))),
                    )
                    products.append(
                        DemoProduct(
                            sku=f"{prefix}-{serial}-{colour[:3].upper()}{size_part}",
                            title=title,
                            upc=_upc(serial),
                            ean=ean,
                            manufacturer_sku=f"MFR-{prefix}{serial * 7 % 100000:05d}",
                            price=price,
                            cost=cost,
                            category=category,
                            stock=stock,
                        )
                    )
    styled = {style.sku for style in DEMO_STYLES if style.in_lightsync}
    products.extend(v for v in demo_style_variations() if v.style in styled)
    return tuple(products)


@cache
def harbor_products() -> tuple[DemoProduct, ...]:
    """Harbor Goods: a small chandlery, sharing no SKU with Demo Outfitters."""
    rng = random.Random(SEED + 1)
    names = (
        "Dock Line 3/8in",
        "Fender Medium",
        "Boat Hook",
        "Bilge Pump",
        "Deck Brush",
        "Cleat 6in",
        "Anchor 15lb",
        "Life Vest Adult",
        "Life Vest Child",
        "Marine Sealant",
        "Rope Bag",
        "Flag Kit",
    )
    products = []
    for index, name in enumerate(names * 5, start=1):
        price = _money(rng.uniform(9, 180))
        products.append(
            DemoProduct(
                sku=f"HBR-{index:04d}",
                title=f"{name} #{(index - 1) // len(names) + 1}",
                upc=_upc(700000 + index),
                ean="",
                manufacturer_sku="",
                price=price,
                cost=_money(float(price) * 0.5),
                category="Marine",
                stock=(("DOCK", rng.randint(0, 40)), ("RETURNS", 0)),
            )
        )
    return tuple(products)


# Products Demo Outfitters has that the demo Lightspeed account does not (yet): every 25th.
def _missing_in_lightspeed(index: int) -> bool:
    return index % 25 == 24


# Items only the demo Lightspeed account has: (description, custom SKU, price, cost).
_LIGHTSPEED_ONLY = (
    ("Trail Mix 200g", "SNK-TRAIL", Decimal("4.99"), Decimal("1.80")),
    ("Energy Bar Box", "SNK-BAR12", Decimal("24.00"), Decimal("12.50")),
    ("Map: Local Trails", "MAP-LOCAL", Decimal("9.95"), Decimal("3.10")),
    ("Bear Spray", "SAF-BEAR", Decimal("49.99"), Decimal("27.00")),
    ("Shop Sticker", "MRC-STICK", Decimal("2.50"), Decimal("0.30")),
    ("Gift Wrap", "SRV-WRAP", Decimal("3.00"), Decimal("0.50")),
    ("Repair Patch Kit", "RPR-PATCH", Decimal("7.99"), Decimal("2.20")),
    ("Waterproofing Spray", "CAR-WPROOF", Decimal("14.99"), Decimal("6.40")),
)


def _qoh_by_shop(product: DemoProduct) -> tuple[tuple[int, int], ...]:
    """Each shop's quantity: the stock of the LightSync warehouse that feeds it."""
    return tuple((shop.shop_id, product.stock_in(shop.warehouse_code)) for shop in DEMO_SHOPS)


@cache
def demo_lightspeed_items() -> tuple[DemoItem, ...]:
    """The demo Lightspeed account's items, in itemID order.

    Most mirror a Demo Outfitters product (same custom SKU, UPC, EAN, prices) with each shop's
    quantity equal to the stock of the warehouse that feeds it; then the deliberate conflicts and
    the Lightspeed-only items.
    """
    mirrored = _mirrored_items()
    conflicts = _conflicting_items(first_id=len(mirrored) + 1)
    lightspeed_only = _lightspeed_only_items(first_id=len(mirrored) + len(conflicts) + 1)
    matrix_items = _matrix_items(first_id=len(mirrored) + len(conflicts) + len(lightspeed_only) + 1)
    return (*mirrored, *conflicts, *lightspeed_only, *matrix_items)


def _mirrored_items() -> list[DemoItem]:
    """An item for every plain Demo Outfitters product except those missing in Lightspeed."""
    products = [
        p for index, p in enumerate(demo_products()) if not p.style and not _missing_in_lightspeed(index)
    ]
    return [
        DemoItem(
            item_id=item_id,
            description=product.title,
            custom_sku=product.sku,
            upc=product.upc,
            ean=product.ean,
            manufacturer_sku=product.manufacturer_sku,
            default_price=product.price,
            default_cost=product.cost,
            category=product.category,
            qoh=_qoh_by_shop(product),
        )
        for item_id, product in enumerate(products, start=1)
    ]


def _conflicting_items(*, first_id: int) -> tuple[DemoItem, ...]:
    products = demo_products()
    return (
        # An item without a custom SKU for a product otherwise missing in Lightspeed: it can only
        # be matched by UPC.
        DemoItem(
            first_id,
            products[24].title,
            "",
            products[24].upc,
            "",
            "",
            products[24].price,
            products[24].cost,
            products[24].category,
            _qoh_by_shop(products[24]),
            note="no customSku",
        ),
        # A second item carrying the UPC of an existing product: that UPC is ambiguous in Lightspeed.
        DemoItem(
            first_id + 1,
            f"{products[3].title} (old listing)",
            "",
            products[3].upc,
            "",
            "",
            products[3].price,
            products[3].cost,
            products[3].category,
            tuple((s.shop_id, 0) for s in DEMO_SHOPS),
            note="duplicated UPC",
        ),
    )


def _lightspeed_only_items(*, first_id: int) -> list[DemoItem]:
    return [
        DemoItem(
            first_id + offset,
            description,
            sku,
            _upc(880000 + offset),
            "",
            "",
            price,
            cost,
            "Lightspeed only",
            tuple((s.shop_id, 20 + offset) for s in DEMO_SHOPS),
            note="Lightspeed only",
        )
        for offset, (description, sku, price, cost) in enumerate(_LIGHTSPEED_ONLY)
    ]


# Styles in sizes and colours, appended after the plain catalogue so every earlier SKU and item id
# stays put. One of each situation the variants feature meets:
#   a style on both sides (linking), a style only LightSync has (auto-create as a matrix),
#   a matrix only Lightspeed has (onboarding import), and a Size-only matrix.
DEMO_STYLES: tuple[DemoStyle, ...] = (
    DemoStyle(
        "STY-CASCADE",
        "Cascade Rain Jacket",
        "Jackets",
        ("Color", "Size"),
        Decimal("149.00"),
        Decimal("71.50"),
        in_lightsync=True,
        matrix_id=1,
    ),
    DemoStyle(
        "STY-BASALT",
        "Basalt Trail Runner",
        "Boots",
        ("Size",),
        Decimal("129.00"),
        Decimal("58.00"),
        in_lightsync=True,
        matrix_id=2,
    ),
    DemoStyle(
        "STY-TARN",
        "Tarn Merino Tee",
        "Shirts",
        ("Color", "Size"),
        Decimal("59.00"),
        Decimal("24.75"),
        in_lightsync=True,
    ),
    DemoStyle(
        "STY-KESTREL",
        "Kestrel Beanie",
        "Hats",
        ("Color",),
        Decimal("29.00"),
        Decimal("11.20"),
        in_lightsync=False,
        matrix_id=3,
    ),
)

_STYLE_VALUES = {
    "STY-CASCADE": (("Navy", "Moss"), ("S", "M", "L", "XL")),
    "STY-BASALT": ((), ("8", "9", "10", "11", "12")),
    "STY-TARN": (("Slate", "Rust"), ("S", "M", "L")),
    "STY-KESTREL": (("Black", "Ochre", "Teal"), ()),
}

# Lightspeed's built-in ItemAttributeSets (recorded): Size lives in attribute2 even alone.
ATTRIBUTE_SET_IDS = {("Color", "Size"): 1, ("Size",): 2, ("Color",): 3}


def _style_combinations(style: DemoStyle) -> list[tuple[tuple[str, str], ...]]:
    colours, sizes = _STYLE_VALUES[style.sku]
    if colours and sizes:
        return [(("Color", c), ("Size", s)) for c in colours for s in sizes]
    if sizes:
        return [(("Size", s),) for s in sizes]
    return [(("Color", c),) for c in colours]


def _variation_sku(style: DemoStyle, attributes: tuple[tuple[str, str], ...]) -> str:
    return "-".join((style.sku, *(value[:3].upper() for _, value in attributes)))


def _variation_title(style: DemoStyle, attributes: tuple[tuple[str, str], ...]) -> str:
    return f"{style.title} — {', '.join(value for _, value in attributes)}"


@cache
def demo_style_variations() -> tuple[DemoProduct, ...]:
    """Every style's variations as products (also those only Lightspeed has), in a fixed order."""
    rng = random.Random(SEED + 2)
    variations = []
    pairs = [(style, attrs) for style in DEMO_STYLES for attrs in _style_combinations(style)]
    for serial, (style, attributes) in enumerate(pairs, start=1):
        variations.append(
            DemoProduct(
                sku=_variation_sku(style, attributes),
                title=_variation_title(style, attributes),
                upc=_upc(900000 + serial),
                ean="",
                manufacturer_sku="",
                price=style.price,
                cost=style.cost,
                category=style.category,
                stock=(
                    ("MAIN", rng.randint(6, 40)),
                    ("DOWNTOWN", rng.randint(0, 8)),
                    ("UPTOWN", rng.randint(0, 8)),
                    ("OUTLET", rng.randint(0, 10)),
                    ("RETURNS", 0),
                ),
                style=style.sku,
                attributes=attributes,
            )
        )
    return tuple(variations)


def demo_styles_in_lightsync() -> tuple[DemoStyle, ...]:
    return tuple(style for style in DEMO_STYLES if style.in_lightsync)


@cache
def demo_lightspeed_matrices() -> tuple[DemoMatrix, ...]:
    return tuple(
        DemoMatrix(
            style.matrix_id,
            style.title,
            ATTRIBUTE_SET_IDS[style.attribute_names],
            style.price,
            style.cost,
            style.category,
        )
        for style in DEMO_STYLES
        if style.matrix_id
    )


def _attribute_values(attributes: tuple[tuple[str, str], ...]) -> tuple[str, str, str]:
    """ItemAttributes' three slots as Lightspeed fills them: Color in 1, Size in 2."""
    named = dict(attributes)
    return (named.get("Color", ""), named.get("Size", ""), "")


def _matrix_items(*, first_id: int) -> list[DemoItem]:
    matrix_of = {style.sku: style.matrix_id for style in DEMO_STYLES}
    in_matrix = [v for v in demo_style_variations() if matrix_of[v.style]]
    return [
        DemoItem(
            item_id,
            variation.title,
            variation.sku,
            variation.upc,
            "",
            "",
            variation.price,
            variation.cost,
            variation.category,
            _qoh_by_shop(variation),
            note="matrix item",
            matrix_id=matrix_of[variation.style],
            attribute_values=_attribute_values(variation.attributes),
        )
        for item_id, variation in enumerate(in_matrix, start=first_id)
    ]


@cache
def demo_customers() -> tuple[DemoCustomer, ...]:
    return (
        DemoCustomer(
            1,
            "Alex",
            "Morgan",
            "",
            "alex.morgan@example.com",
            "555-0101",
            "12 Pine St",
            "Burlington",
            "VT",
            "05401",
            "US",
        ),
        DemoCustomer(
            2,
            "Jamie",
            "Chen",
            "Chen Guides LLC",
            "jamie@chenguides.example",
            "555-0102",
            "400 Summit Ave",
            "Boulder",
            "CO",
            "80302",
            "US",
        ),
        DemoCustomer(3, "Robin", "Patel", "", "robin.patel@example.com", "", "", "", "", "", ""),
        DemoCustomer(
            4, "Casey", "Nguyen", "", "", "555-0104", "88 Harbor Rd", "Portland", "ME", "04101", "US"
        ),
        DemoCustomer(5, "Taylor", "Brooks", "", "taylor.brooks@example.com", "555-0105", "", "", "", "", ""),
    )
