"""The client's item matrix and attribute set requests (`LightspeedClient` inherits them).

A matrix is made with one `POST ItemMatrix` (the style: description, attribute set, price and
cost) and its items one `POST Item` each (`LightspeedClient.create_item` with `item_matrix_id`).
Shapes: the ItemMatrix and ItemAttributeSet pages of the Lightspeed docs and the recorded
ItemMatrix/show.yml and ItemAttributeSet/*.yml.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from integrations.lightspeed.api import errors
from integrations.lightspeed.api import query as q
from integrations.lightspeed.api.normalise import records_in
from integrations.lightspeed.api.transport import LightspeedTransport

Record = dict[str, Any]


def money_text(value: Decimal) -> str:
    if isinstance(value, float):
        raise TypeError("money must be Decimal, never float")
    return str(Decimal(value))


class ItemMatrixRequests(LightspeedTransport):
    def iter_item_matrices(
        self,
        *,
        ids: Iterable[int | str] | None = None,
        since: datetime | None = None,
        description: str | None = None,
        with_items: bool = False,
        include_archived: bool = False,
    ) -> Iterator[Record]:
        """Item matrices with their attribute set (and, `with_items`, their items): those with
        the given ids (100 a request), else those changed since a time (all without one) and, with
        `description`, only those so described, oldest first."""
        names = ["ItemAttributeSet", "Items"] if with_items else ["ItemAttributeSet"]
        base: dict[str, Any] = {"load_relations": q.relations(names)}
        if include_archived:
            base["archived"] = "true"
        if ids is not None:
            return self._matrices_by_id(ids, base)
        params = {**base, "sort": "timeStamp"}
        if description is not None:
            params["description"] = description
        if since is not None:
            params["timeStamp"] = q.after(since)
        return self.iter_records("ItemMatrix", params=params)

    def _matrices_by_id(self, ids: Iterable[int | str], base: dict[str, Any]) -> Iterator[Record]:
        for chunk in q.chunks(ids):
            params = {**base, "itemMatrixID": q.in_ids(chunk), "sort": "itemMatrixID"}
            yield from self.iter_records("ItemMatrix", params=params)

    def get_item_matrix(self, item_matrix_id: int | str, *, with_items: bool = True) -> Record:
        """One matrix with its attribute set and (by default) its items."""
        names = ["ItemAttributeSet", "Items"] if with_items else ["ItemAttributeSet"]
        params = {"load_relations": q.relations(names)}
        body = self.request("GET", self.resource_url("ItemMatrix", item_matrix_id), params=params)
        return self._single(body, "ItemMatrix")

    def create_item_matrix(
        self,
        *,
        description: str,
        item_attribute_set_id: int,
        default_cost: Decimal | None = None,
        prices: Mapping[int, Decimal] | None = None,
        fields: Mapping[str, Any] | None = None,
    ) -> Record:
        """One `POST ItemMatrix`: the style, without items (they are made one `POST Item` each)."""
        if not description.strip():
            raise ValueError("Lightspeed requires a description to create a matrix.")
        body = {
            **dict(fields or {}),
            "description": description.strip(),
            "itemAttributeSetID": str(int(item_attribute_set_id)),
            **self._matrix_money(default_cost, prices),
        }
        response = self.request("POST", self.resource_url("ItemMatrix"), json_body=body, cost=1.0)
        return self._single(response, "ItemMatrix")

    def update_item_matrix(
        self,
        item_matrix_id: int | str,
        *,
        description: str | None = None,
        default_cost: Decimal | None = None,
        prices: Mapping[int, Decimal] | None = None,
        fields: Mapping[str, Any] | None = None,
    ) -> Record:
        """One `PUT ItemMatrix` with what changed."""
        body = {**dict(fields or {}), **self._matrix_money(default_cost, prices)}
        if description is not None:
            body["description"] = description.strip()
        if not body:
            raise ValueError("update_item_matrix needs at least one change")
        url = self.resource_url("ItemMatrix", item_matrix_id)
        return self._single(self.request("PUT", url, json_body=body, cost=1.0), "ItemMatrix")

    @staticmethod
    def _matrix_money(default_cost: Decimal | None, prices: Mapping[int, Decimal] | None) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if default_cost is not None:
            body["defaultCost"] = money_text(default_cost)
        if prices:
            levels = [{"useTypeID": str(int(k)), "amount": money_text(v)} for k, v in sorted(prices.items())]
            body["Prices"] = {"ItemPrice": levels}
        return body

    def iter_item_attribute_sets(self) -> Iterator[Record]:
        """The account's attribute sets (the built-in Color/Size, Size, Color, 3 Attributes)."""
        return self.iter_records("ItemAttributeSet", params={"sort": "itemAttributeSetID"})

    @staticmethod
    def _single(body: dict[str, Any], entity: str) -> dict[str, Any]:
        records = records_in(body, entity)
        if len(records) != 1:
            raise errors.LightspeedMalformedResponseError(
                f"Expected one {entity}, Lightspeed sent {len(records)}."
            )
        return records[0]
