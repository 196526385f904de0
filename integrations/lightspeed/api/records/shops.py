"""The account's setup — shops with their registers, employees, price levels — as typed values.

A record without a valid id cannot be kept (mappings and orders point at the id), so it fails
the whole download as a malformed answer rather than being skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from integrations.lightspeed.api.errors import LightspeedMalformedResponseError
from integrations.lightspeed.api.normalise import to_bool, to_int


@dataclass(frozen=True)
class RegisterRecord:
    register_id: int
    name: str
    archived: bool


@dataclass(frozen=True)
class ShopRecord:
    shop_id: int
    name: str
    time_zone: str
    archived: bool
    registers: tuple[RegisterRecord, ...]


@dataclass(frozen=True)
class EmployeeRecord:
    employee_id: int
    first_name: str
    last_name: str
    lock_out: bool
    archived: bool
    limit_to_shop_id: int  # 0: every shop


@dataclass(frozen=True)
class PriceLevelRecord:
    price_level_id: int
    name: str
    archived: bool
    level_type: str


def _required_id(record: Mapping[str, Any], field: str) -> int:
    try:
        value = to_int(record.get(field))
    except ValueError:
        value = None
    if not value:
        raise LightspeedMalformedResponseError(
            f"A Lightspeed record has no valid {field}: {str(record)[:200]}"
        )
    return value


def register_parse(register: Mapping[str, Any]) -> RegisterRecord:
    register_id = _required_id(register, "registerID")
    return RegisterRecord(
        register_id=register_id,
        name=str(register.get("name") or f"Register {register_id}")[:255],
        archived=to_bool(register.get("archived")),
    )


def shop_parse(shop: Mapping[str, Any]) -> ShopRecord:
    shop_id = _required_id(shop, "shopID")
    return ShopRecord(
        shop_id=shop_id,
        name=str(shop.get("name") or f"Shop {shop_id}")[:255],
        time_zone=str(shop.get("timeZone") or "")[:64],
        archived=to_bool(shop.get("archived")),
        registers=tuple(register_parse(register) for register in shop.get("Registers") or []),
    )


def employee_parse(employee: Mapping[str, Any]) -> EmployeeRecord:
    return EmployeeRecord(
        employee_id=_required_id(employee, "employeeID"),
        first_name=str(employee.get("firstName") or "")[:150],
        last_name=str(employee.get("lastName") or "")[:150],
        lock_out=to_bool(employee.get("lockOut")),
        archived=to_bool(employee.get("archived")),
        limit_to_shop_id=to_int(employee.get("limitToShopID"), default=0) or 0,
    )


def price_level_parse(level: Mapping[str, Any]) -> PriceLevelRecord:
    level_id = _required_id(level, "priceLevelID")
    return PriceLevelRecord(
        price_level_id=level_id,
        name=str(level.get("name") or f"Price level {level_id}")[:255],
        archived=to_bool(level.get("archived")),
        level_type=str(level.get("type") or "")[:30],
    )
