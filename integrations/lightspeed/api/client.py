"""The Lightspeed Retail (R-Series) API V3 client: the resources LightSync uses.

Only services call it, and they ask by meaning ("sales changed since T", "items with these
custom SKUs"): the client alone builds Lightspeed's queries — filters, sorts, relations, IN lists
of at most 100 (`query.py`) — and follows its pages. It knows nothing of Celery or the database
except through the token provider (and the shared pacer) it is given; the request loop lives in
`transport.py`. Records come back normalised (every collection a list, see `normalise.py`); the
parsers of `records/` turn them into typed values.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from integrations.lightspeed.api import errors
from integrations.lightspeed.api import query as q
from integrations.lightspeed.api.inflight import pages_ahead
from integrations.lightspeed.api.matrices import ItemMatrixRequests, money_text
from integrations.lightspeed.api.normalise import records_in
from integrations.lightspeed.api.transport import Call, ClientStats, TokenProvider

__all__ = ["ClientStats", "LightspeedClient", "TokenProvider"]

Record = dict[str, Any]


class LightspeedClient(ItemMatrixRequests):
    def get_account(self) -> dict[str, Any]:
        body = self.request("GET", f"{self.base_url}/API/V3/Account.json")
        accounts = records_in(body, "Account")
        if not accounts:
            raise errors.LightspeedMalformedResponseError("Lightspeed returned no account for this token.")
        return accounts[0]

    def iter_shops(self, *, include_archived: bool = True) -> Iterator[dict[str, Any]]:
        params = {"load_relations": q.relations(["Registers"]), "sort": "shopID"}
        if include_archived:
            params["archived"] = "true"
        return self.iter_records("Shop", params=params)

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

    # --- items ---------------------------------------------------------------------------
    def iter_items(
        self,
        *,
        since: datetime | None = None,
        ids: Iterable[int | str] | None = None,
        codes: Iterable[str] | None = None,
        custom_skus: Iterable[str] | None = None,
        with_item_shops: bool = True,
        with_attributes: bool = False,
        include_archived: bool = False,
    ) -> Iterator[Record]:
        """Items changed since a time (all of them without one), oldest first; or with the given
        ids (100 a request); or matching codes; or with the given custom SKUs (100 a request).
        Every item comes with `itemMatrixID` (an int, 0 outside a matrix) and `ItemAttributes`
        (attribute1..3, "" unless `with_attributes` loaded them; see `normalise.normalise_item`).

        A code matches an itemID, UPC or EAN (Lightspeed's `itemCode`), one request per code. A
        custom SKU that an IN list cannot carry (a comma, quote or bracket) is not asked about.
        """
        base: dict[str, Any] = {}
        names = (["ItemShops"] if with_item_shops else []) + (["ItemAttributes"] if with_attributes else [])
        if names:
            base["load_relations"] = q.relations(names)
        if include_archived:
            base["archived"] = "true"
        if ids is not None:
            return self._items_by_id(ids, base)
        if codes is not None:
            return self._items_by_code(codes, base)
        if custom_skus is not None:
            return self._items_by_custom_sku(custom_skus, base)
        params = {**base, "sort": "timeStamp"}
        if since is not None:
            params["timeStamp"] = q.after(since)
        return self.iter_records("Item", params=params)

    def _items_by_id(self, ids: Iterable[int | str], base: dict[str, Any]) -> Iterator[Record]:
        for chunk in q.chunks(ids):
            yield from self.iter_records("Item", params={**base, "itemID": q.in_ids(chunk), "sort": "itemID"})

    def _items_by_code(self, codes: Iterable[str], base: dict[str, Any]) -> Iterator[Record]:
        for code in codes:
            yield from self.iter_records("Item", params={**base, "itemCode": str(code), "sort": "itemID"})

    def _items_by_custom_sku(self, skus: Iterable[str], base: dict[str, Any]) -> Iterator[Record]:
        for chunk in q.chunks(sorted({sku for sku in skus if q.listable(sku)})):
            params: dict[str, Any] = {"customSku": q.in_texts(chunk)}
            if "archived" in base:
                params["archived"] = base["archived"]
            if "load_relations" in base:
                params["load_relations"] = base["load_relations"]
            params["sort"] = "itemID"
            yield from self.iter_records("Item", params=params)

    def iter_item_pages(self, *, after_id: int = 0) -> Iterator[list[Record]]:
        """The live (unarchived) items above an itemID with their ItemShops and ItemAttributes, in
        itemID order, a page at a time; the next page is already requested while the caller handles this one.
        The order makes a long read resumable: the last id of a page is where to go on from."""
        params: dict[str, Any] = {
            "load_relations": q.relations(["ItemShops", "ItemAttributes"]),
            "sort": "itemID",
        }
        if after_id:
            params["itemID"] = q.above(int(after_id))
        for page in pages_ahead(self, "Item", params=params):
            records = records_in(page, "Item")
            if records:
                yield records

    def count_items(self, *, after_id: int = 0) -> int:
        """How many live items there are (above an itemID): one request of one drip."""
        params: dict[str, Any] = {"count": "1"}
        if after_id:
            params["itemID"] = q.above(int(after_id))
        body = self.request("GET", self.resource_url("Item"), params=params, cost=1.0)
        attributes = body.get("@attributes") or {}
        try:
            return int(attributes.get("count", 0)) if isinstance(attributes, Mapping) else 0
        except (TypeError, ValueError):
            raise errors.LightspeedMalformedResponseError(
                "Lightspeed sent a count that is not a number."
            ) from None

    def iter_item_shops(self, *, since: datetime, after_id: int = 0) -> Iterator[Record]:
        """Stock rows changed at or after a time, oldest first (by timeStamp, then itemShopID):
        Item.timeStamp does not move when stock changes; ItemShop.timeStamp does. With `after_id`,
        the rows of `since`'s own second only above that itemShopID: (timeStamp, itemShopID) >
        (since, after_id), in one request."""
        params = {"timeStamp": q.at_or_after(since), "sort": "timeStamp"}
        if after_id:
            params["or"] = q.any_of(timeStamp=q.after(since), itemShopID=q.above(after_id))
        return self.iter_records("ItemShop", params=params)

    def update_item(self, item_id: int | str, **changes: Any) -> dict[str, Any]:
        """Everything that changed for one item in one PUT: stock per shop, prices, cost — the
        keywords of `item_update_call`, sent now."""
        return self.item_updated(self.perform(self.item_update_call(item_id, **changes)))

    def item_updated(self, body: dict[str, Any]) -> dict[str, Any]:
        """The item in the answer to an `item_update_call`."""
        return self._single(body, "Item")

    def item_update_call(
        self,
        item_id: int | str,
        *,
        qoh_by_shop: Mapping[int, int] | None = None,
        prices: Mapping[int, Decimal] | None = None,
        default_cost: Decimal | None = None,
        fields: Mapping[str, Any] | None = None,
    ) -> Call:
        """`update_item`'s request, to be sent by a window of requests in flight (api/inflight.py)."""
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
            levels = [{"useTypeID": str(int(k)), "amount": money_text(v)} for k, v in sorted(prices.items())]
            body["Prices"] = {"ItemPrice": levels}
            nested += len(levels)
        if default_cost is not None:
            body["defaultCost"] = money_text(default_cost)
        if not body:
            raise ValueError("update_item needs at least one change")
        return Call("PUT", self.resource_url("Item", item_id), json_body=body, cost=1.0 + 0.5 * nested)

    def create_item(
        self,
        fields: Mapping[str, Any],
        *,
        item_matrix_id: int | None = None,
        attributes: tuple[str, str, str] | None = None,
        item_attribute_set_id: int | None = None,
    ) -> dict[str, Any]:
        """One `POST Item`. With `item_matrix_id`, the item is made in that matrix with its values
        in `attributes` (attribute1..3, already placed in the set's slots; see
        `records/matrices.attribute_slots`)."""
        if not str(fields.get("description") or "").strip():
            raise ValueError("Lightspeed requires a description to create an item.")
        body = dict(fields)
        if item_matrix_id:
            if not attributes or not any(attributes):
                raise ValueError("An item made in a matrix needs its attribute values.")
            body["itemMatrixID"] = str(int(item_matrix_id))
            body["ItemAttributes"] = {
                "attribute1": attributes[0],
                "attribute2": attributes[1],
                "attribute3": attributes[2],
                **({"itemAttributeSetID": str(int(item_attribute_set_id))} if item_attribute_set_id else {}),
            }
        response = self.request("POST", self.resource_url("Item"), json_body=body, cost=1.0)
        return self._single(response, "Item")

    # --- sales ---------------------------------------------------------------------------
    # The order download reads a page at a time: it commits each page with its cursor.
    def iter_sale_pages(self, *, since: datetime) -> Iterator[list[Record]]:
        """Sales whose timeStamp (last change; the completion time of a completed sale) is after
        `since`, oldest first, each with its lines and their items, payments and customer. The
        next page is already requested while the caller imports this one."""
        for page in pages_ahead(self, "Sale", params=self._sales_since(since)):
            records = records_in(page, "Sale")
            if records:
                yield records

    def get_newest_sale_change(self) -> Record | None:
        """The sale Lightspeed changed last — rung up, completed, voided or edited — or None when
        the account has no sales: one request of 1 drip (one record, no relations), the live loop's
        change probe. Every change moves a sale's `updatetime` (a void too, unlike `timeStamp`)."""
        params = {"sort": "-updatetime", "limit": "1"}
        records = records_in(self.request("GET", self.resource_url("Sale"), params=params, cost=1.0), "Sale")
        return records[0] if records else None

    def iter_sale_change_pages(
        self, *, since: datetime, stamped_by: datetime | None = None
    ) -> Iterator[list[Record]]:
        """Sales whose updatetime is after `since`, oldest first, without their relations: the later
        changes a timeStamp poll misses (voids, completions with an earlier completion time).
        With `stamped_by`, only those whose timeStamp is at or before it (the ones a timeStamp
        read from that moment did not see)."""
        params = {"updatetime": q.after(since), "sort": "updatetime"}
        if stamped_by is not None:
            params["timeStamp"] = q.at_or_before(stamped_by)
        return self.iter_record_pages("Sale", params=params)

    def iter_sale_void_pages(self, *, after_id: int) -> Iterator[list[Record]]:
        """SaleVoid records after an id, in id order (needs the employee:admin_void_sale scope)."""
        params = {"saleVoidID": q.above(int(after_id)), "sort": "saleVoidID"}
        return self.iter_record_pages("SaleVoid", params=params)

    def iter_sales(
        self, *, since: datetime | None = None, ids: Iterable[int] | None = None
    ) -> Iterator[Record]:
        """Sales with their lines and items, payments and customer: those with the given ids (100 a
        request, in the order given), or those whose timeStamp is after `since`, oldest first."""
        if ids is not None:
            return self._sales_by_id(ids)
        if since is None:
            raise ValueError("iter_sales needs `since` or `ids`")
        return self.iter_records("Sale", params=self._sales_since(since))

    def _sales_by_id(self, ids: Iterable[int]) -> Iterator[Record]:
        for chunk in q.chunks(ids):
            params = {
                "saleID": q.in_ids(chunk),
                "sort": "saleID",
                "load_relations": q.relations(q.SALE_RELATIONS),
            }
            yield from self.iter_records("Sale", params=params)

    @staticmethod
    def _sales_since(since: datetime) -> dict[str, Any]:
        return {
            "timeStamp": q.after(since),
            "sort": "timeStamp",
            "load_relations": q.relations(q.SALE_RELATIONS),
        }

    def get_sale(self, sale_id: int | str) -> Record:
        params = {"load_relations": q.relations(q.SALE_RELATIONS)}
        return self._single(self.request("GET", self.resource_url("Sale", sale_id), params=params), "Sale")

    def iter_customers(self, *, ids: Iterable[int | str]) -> Iterator[Record]:
        """Customers with their contact (name, emails, phones, addresses), 100 a request."""
        for chunk in q.chunks(ids):
            params = {
                "customerID": q.in_ids(chunk),
                "load_relations": q.relations(["Contact"]),
                "sort": "customerID",
            }
            yield from self.iter_records("Customer", params=params)
