"""GET on a resource: filters, relations, archived, count, sort and both kinds of paging."""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from django.db.models import Q, QuerySet
from django.http import QueryDict

from integrations.lightspeed_sandbox.errors import bad_request, not_found
from integrations.lightspeed_sandbox.query import (
    MAX_LIMIT,
    RESERVED,
    Sort,
    condition,
    cursor_value,
    encode_cursor,
    keyset_page,
    split_operator,
)
from integrations.lightspeed_sandbox.render import one_or_many
from integrations.lightspeed_sandbox.resources import UNMODELLED, Resource
from integrations.lightspeed_sandbox.store.models import Shop


@dataclass(frozen=True)
class ListRequest:
    resource: Resource
    account_id: int
    params: QueryDict
    legacy: bool  # V2 paths page with offsets
    page_url: str  # scheme://host/path of this request, for next/previous links
    raw_query: str = ""  # as sent: an or= clause must percent-encode its '='


def relations_requested(resource: Resource, raw: str | None) -> set[str]:
    if not raw:
        names: list[str] = []
    elif raw == "all":
        names = list(resource.relations)
    else:
        try:
            value = json.loads(raw)
        except ValueError:
            raise bad_request("load_relations must be a JSON array of relation names or 'all'.") from None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad_request("load_relations must be a JSON array of relation names or 'all'.")
        names = value
    unmodelled = UNMODELLED.get(resource.name, ())
    for name in names:
        if name not in resource.relations and name not in unmodelled:
            raise bad_request(f"Invalid relation '{name}' for {resource.name}.")
    names = [name for name in names if name in resource.relations]
    loaded = set(names) | set(resource.always)
    # A nested relation loads its parent too: SaleLines.Item brings the SaleLines.
    loaded |= {name.split(".")[0] for name in names if "." in name}
    return loaded


def _local_zone(account_id: int) -> str:
    shop = Shop.objects.filter(accountID=account_id).order_by("shopID").first()
    return shop.timeZone if shop else "UTC"


def filtered(
    resource: Resource,
    account_id: int,
    params: QueryDict,
    loaded: frozenset[str] = frozenset(),
    raw_query: str = "",
) -> QuerySet:
    queryset = resource.rows(account_id)
    if resource.has_archived:
        archived = params.get("archived", "false").lower()
        if archived == "false":
            queryset = queryset.filter(archived=False)
        elif archived == "only":
            queryset = queryset.filter(archived=True)
        elif archived != "true":
            raise bad_request("archived must be true, false or only.")
    zone = None
    for key in params:
        if key in RESERVED:
            continue
        zone = zone or _local_zone(account_id)
        for raw in params.getlist(key):
            queryset = queryset.filter(_condition(resource, key, raw, zone, loaded))
    if "or" in params:
        if any(part.startswith("or=") and "=" in part[3:] for part in raw_query.split("&")):
            raise bad_request("Every '=' inside an or= query must be percent-encoded as %3D.")
        zone = zone or _local_zone(account_id)
        for raw in params.getlist("or"):
            alternatives = Q()
            for part in raw.split("|"):
                name, sep, value = part.partition("=")
                if not sep:
                    raise bad_request(f"Invalid or= clause '{part}'; use field%3Dvalue separated by |.")
                alternatives |= _condition(resource, name, value, zone, loaded)
            queryset = queryset.filter(alternatives)
    return queryset


def _condition(resource: Resource, key: str, raw: str, zone: str, loaded: frozenset[str]) -> Q:
    if key == "itemCode" and resource.name == "Item":
        op, arg = split_operator(raw)
        if op not in ("=", "IN"):
            raise bad_request("itemCode supports only the =, IN and or operators.")
        codes = [c.strip().strip('"') for c in arg.strip("[]").split(",")] if op == "IN" else [arg]
        q = Q(upc__in=codes) | Q(ean__in=codes)
        ids = [int(c) for c in codes if c.isdigit() and len(c) < 10]
        return q | Q(itemID__in=ids) if ids else q
    if "." in key:
        name, _, field = key.partition(".")
        relation = resource.relations.get(name)
        if (
            relation is None
            or relation.model is None
            or "." in field
            or (relation.fields and field not in relation.fields)
        ):
            raise bad_request(f"Invalid field '{key}' for {resource.name}.")
        if name not in loaded:
            raise bad_request(f"Searching in {name} needs it loaded: add it to load_relations.")
        inner = relation.model.objects.filter(condition(relation.model, field, raw, local_zone=zone))
        return Q(**{f"{relation.local}__in": inner.values(relation.remote)})
    if key in resource.hidden or key == "accountID":
        raise bad_request(f"Invalid field '{key}' for {resource.name}.")
    return condition(resource.model, key, raw, local_zone=zone)


def _sort(resource: Resource, params: QueryDict, *, legacy: bool) -> Sort:
    if legacy and params.get("orderby"):
        # V2's orderby takes any field (at 4 extra drips when it is not a sortable one).
        field = params["orderby"]
        if field in resource.hidden or field not in {f.name for f in resource.model._meta.concrete_fields}:
            raise bad_request(f"Invalid orderby field '{field}' for {resource.name}.")
        return Sort(field, params.get("orderby_desc") == "1")
    raw = params.get("sort") or resource.pk
    field = raw.removeprefix("-")
    if field not in resource.sortable:
        allowed = ", ".join(resource.sortable)
        raise bad_request(
            f"Sort field '{field}' is not sortable for {resource.name}. Sortable fields: {allowed}."
        )
    return Sort(field, raw.startswith("-"))


def _limit(params: QueryDict) -> int:
    raw = params.get("limit", str(MAX_LIMIT))
    try:
        limit = int(raw)
    except ValueError:
        raise bad_request(f"Invalid limit '{raw}'.") from None
    if limit < 0 or limit > MAX_LIMIT:
        raise bad_request(f"limit must be between 0 and {MAX_LIMIT}.")
    return limit


def _link(req: ListRequest, sort: Sort, limit: int, **cursor: str) -> str:
    pairs = [
        (k, v)
        for k in req.params
        for v in req.params.getlist(k)
        if k not in ("after", "before", "sort", "limit", "offset")
    ]
    pairs += [("sort", sort.param), ("limit", str(limit)), *cursor.items()]
    return f"{req.page_url}?{urlencode(pairs, quote_via=quote)}"


def list_payload(req: ListRequest, relations: set[str]) -> dict:
    resource = req.resource
    queryset = filtered(resource, req.account_id, req.params, frozenset(relations), req.raw_query)
    if req.params.get("count") == "1":
        clashing = [p for p in ("limit", "sort", "after", "before") if p in req.params]
        if clashing:
            raise bad_request(f"count=1 cannot be combined with {', '.join(clashing)}.")
        return {"@attributes": {"count": str(queryset.count())}}
    sort = _sort(resource, req.params, legacy=req.legacy)
    limit = _limit(req.params)
    if req.legacy:
        try:
            offset = max(int(req.params.get("offset", "0")), 0)
        except ValueError:
            raise bad_request("Invalid offset.") from None
        total = queryset.count()
        prefix = "-" if sort.descending else ""
        rows = list(
            queryset.order_by(f"{prefix}{sort.field}", f"{prefix}{resource.pk}")[offset : offset + limit]
        )
        if not total:
            return {"@attributes": {"count": "0"}}
        attributes = {"count": str(total), "offset": str(offset), "limit": str(limit)}
    else:
        rows, has_next, has_previous = keyset_page(
            queryset,
            model=resource.model,
            pk_name=resource.pk,
            sort=sort,
            limit=limit,
            after=req.params.get("after"),
            before=req.params.get("before"),
        )
        attributes = {"next": "", "previous": ""}
        if rows and has_next:
            last = rows[-1]
            value = cursor_value(last, resource.model, sort)
            attributes["next"] = _link(
                req, sort, limit, after=encode_cursor(sort, value, getattr(last, resource.pk))
            )
        if rows and has_previous:
            first = rows[0]
            value = cursor_value(first, resource.model, sort)
            attributes["previous"] = _link(
                req, sort, limit, before=encode_cursor(sort, value, getattr(first, resource.pk))
            )
    payload: dict = {"@attributes": attributes}
    if rows:
        payload[resource.name] = one_or_many(resource.render(rows, relations))
    return payload


def single_payload(resource: Resource, account_id: int, pk: int, relations: set[str]) -> dict:
    row = resource.rows(account_id).filter(**{resource.pk: pk}).first()
    if row is None:
        raise not_found(resource.name, pk)
    return {"@attributes": {"count": "1"}, resource.name: resource.render([row], relations)[0]}
