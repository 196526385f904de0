"""The Lightspeed Retail (R-Series) API V3 client: the resources LightSync uses.

Only services call it. It knows nothing of Celery or the database except through the token
provider (and the shared pacer) it is given; the request loop lives in `transport.py`.
Records come back normalised (every collection a list, see `normalise.py`); values stay
strings until the service that uses them converts them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from integrations.lightspeed.api import errors
from integrations.lightspeed.api.normalise import iso_utc, records_in
from integrations.lightspeed.api.transport import MAX_PAGE, ClientStats, LightspeedTransport, TokenProvider

__all__ = ["ClientStats", "LightspeedClient", "TokenProvider"]

SALE_RELATIONS = [
    "SaleLines",
    "SaleLines.Item",
    "SalePayments",
    "SalePayments.PaymentType",
    "Customer",
    "Customer.Contact",
]


def _chunks(values: Iterable[Any], size: int = MAX_PAGE) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for value in values:
        chunk.append(value)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _in_filter(values: Iterable[Any]) -> str:
    return "IN," + json.dumps([int(v) for v in values], separators=(",", ":"))


def _money(value: Decimal) -> str:
    if isinstance(value, float):
        raise TypeError("money must be Decimal, never float")
    return str(Decimal(value))


class LightspeedClient(LightspeedTransport):
    def get_account(self) -> dict[str, Any]:
        body = self.request("GET", f"{self.base_url}/API/V3/Account.json")
        accounts = records_in(body, "Account")
        if not accounts:
            raise errors.LightspeedMalformedResponseError("Lightspeed returned no account for this token.")
        return accounts[0]

    def iter_shops(self, *, include_archived: bool = True) -> Iterator[dict[str, Any]]:
        params = {"load_relations": json.dumps(["Registers"]), "sort": "shopID"}
        if include_archived:
            params["archived"] = "true"
        return self.iter_records("Shop", params=params)

    def iter_registers(self, *, include_archived: bool = True) -> Iterator[dict[str, Any]]:
        params = {"sort": "registerID"}
        if include_archived:
            params["archived"] = "true"
        return self.iter_records("Register", params=params)

    def iter_employees(self, *, include_archived: bool = True) -> Iterator[dict[str, Any]]:
        params = {"sort": "employeeID"}
        if include_archived:
            params["archived"] = "true"
        return self.iter_records("Employee", params=params)

    def iter_price_levels(self, *, include_archived: bool = True) -> Iterator[dict[str, Any]]:
        """Default, MSRP, Online and the custom levels: a level's id is the useTypeID of prices."""
        params = {"sort": "priceLevelID"}
        if include_archived:
            params["archived"] = "true"
        return self.iter_records("PriceLevel", params=params)

    def iter_items(
        self,
        *,
        since: datetime | None = None,
        ids: Iterable[int | str] | None = None,
        codes: Iterable[str] | None = None,
        with_item_shops: bool = True,
        include_archived: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """Items changed since a time, or with the given ids (≤100 a request), or matching codes.

        A code matches an itemID, UPC or EAN (Lightspeed's `itemCode`), one request per code.
        """
        base: dict[str, Any] = {}
        if with_item_shops:
            base["load_relations"] = json.dumps(["ItemShops"])
        if include_archived:
            base["archived"] = "true"
        if ids is not None:
            for chunk in _chunks(ids):
                yield from self.iter_records(
                    "Item", params={**base, "itemID": _in_filter(chunk), "sort": "itemID"}
                )
            return
        if codes is not None:
            for code in codes:
                yield from self.iter_records("Item", params={**base, "itemCode": str(code), "sort": "itemID"})
            return
        params = {**base, "sort": "timeStamp"}
        if since is not None:
            params["timeStamp"] = f">,{iso_utc(since)}"
        yield from self.iter_records("Item", params=params)

    def iter_item_shops(self, *, since: datetime) -> Iterator[dict[str, Any]]:
        # Item.timeStamp does not move when stock changes; ItemShop.timeStamp does.
        params = {"timeStamp": f">=,{iso_utc(since)}", "sort": "timeStamp"}
        return self.iter_records("ItemShop", params=params)

    def update_item(
        self,
        item_id: int | str,
        *,
        qoh_by_shop: Mapping[int, int] | None = None,
        prices: Mapping[int, Decimal] | None = None,
        default_cost: Decimal | None = None,
        fields: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Everything that changed for one item in one PUT: stock per shop, prices, cost."""
        body: dict[str, Any] = dict(fields or {})
        nested = 0
        if qoh_by_shop:
            shops = []
            for shop_id, qoh in sorted(qoh_by_shop.items()):
                if int(qoh) < 0:
                    raise ValueError(
                        f"Lightspeed refuses a negative quantity on hand (shop {shop_id}: {qoh})."
                    )
                shops.append({"shopID": str(int(shop_id)), "qoh": str(int(qoh))})
            body["ItemShops"] = {"ItemShop": shops}
            nested += len(shops)
        if prices:
            levels = [{"useTypeID": str(int(k)), "amount": _money(v)} for k, v in sorted(prices.items())]
            body["Prices"] = {"ItemPrice": levels}
            nested += len(levels)
        if default_cost is not None:
            body["defaultCost"] = _money(default_cost)
        if not body:
            raise ValueError("update_item needs at least one change")
        response = self.request(
            "PUT", self.resource_url("Item", item_id), json_body=body, cost=1.0 + 0.5 * nested
        )
        return self._single(response, "Item")

    def create_item(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        if not str(fields.get("description") or "").strip():
            raise ValueError("Lightspeed requires a description to create an item.")
        response = self.request("POST", self.resource_url("Item"), json_body=dict(fields), cost=1.0)
        return self._single(response, "Item")

    def iter_sales(
        self,
        *,
        since: datetime,
        field: str = "timeStamp",
        shop_ids: Iterable[int] | None = None,
        relations: list[str] | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Sales changed since a time (strictly after), oldest first, with lines, payments, customer."""
        params: dict[str, Any] = {
            field: f">,{iso_utc(since)}",
            "sort": field,
            "load_relations": json.dumps(relations or SALE_RELATIONS),
            **(extra or {}),
        }
        if shop_ids is not None:
            params["shopID"] = _in_filter(shop_ids)
        return self.iter_records("Sale", params=params)

    def get_sale(self, sale_id: int | str, *, relations: list[str] | None = None) -> dict[str, Any]:
        params = {"load_relations": json.dumps(relations or SALE_RELATIONS)}
        return self._single(self.request("GET", self.resource_url("Sale", sale_id), params=params), "Sale")

    def iter_customers(self, *, ids: Iterable[int | str]) -> Iterator[dict[str, Any]]:
        for chunk in _chunks(ids):
            params = {
                "customerID": _in_filter(chunk),
                "load_relations": json.dumps(["Contact"]),
                "sort": "customerID",
            }
            yield from self.iter_records("Customer", params=params)

    @staticmethod
    def _single(body: dict[str, Any], entity: str) -> dict[str, Any]:
        records = records_in(body, entity)
        if len(records) != 1:
            raise errors.LightspeedMalformedResponseError(
                f"Expected one {entity}, Lightspeed sent {len(records)}."
            )
        return records[0]
