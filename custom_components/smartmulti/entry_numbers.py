"""Every number the integration keeps in its config entries, in one table, and their repair.

Before the forms refused "nan" (``selectors.NumberBox``), a number field took it, and the entry
was saved with NaN, which Home Assistant's storage writes as ``null``: the entry's next setup
then failed. Entries of version 1.1 may hold such values; migrating them to 1.2 repairs them
(``repair``): a value that is no finite number is dropped, so that what the code reads when the
key is absent applies (its default, or "none" for an optional field), except for the fields the
code needs, which get their documented default. At setup, a value that is still no finite
number fails the entry, naming the field (``invalid_fields``); an optional field's null reads
as absent there, as everywhere.

A new number field of an entry is added to ``NUMBER_FIELDS``, and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
import math
from typing import Any, Final, Literal

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_PORT

from .billing.users import (
    CONF_LEAVE_AFTER,
    CONF_LIMIT,
    CONF_LIMIT_MAX,
    CONF_OFFPEAK_PRICE,
    CONF_PRICE,
    CONF_PRICE_PERCENT,
    CONF_TIER,
    CONF_WARNING_PERCENT,
    DEFAULT_LEAVE_AFTER,
    DEFAULT_PRICE,
    DEFAULT_PRICE_PERCENT,
    DEFAULT_TIER,
    DEFAULT_WARNING_PERCENT,
    SUBENTRY_USER,
)
from .const import (
    CONF_BALANCING_INTERVAL,
    CONF_BATTERY_MAX_AGE,
    CONF_MAX_POWER,
    CONF_SCAN_INTERVAL,
    DEFAULT_BALANCING_INTERVAL,
    DEFAULT_BATTERY_MAX_AGE,
    DEFAULT_PORT,
    DEFAULT_SCAN_INTERVAL,
)
from .entry_kinds import is_billing_entry, is_circuit_entry, is_strip_entry

type EntryKind = Literal["strip", "circuit", "billing"]
# Where the number is: the entry's data, its options, or the data of each user subentry.
type Part = Literal["data", "options", "user"]


@dataclass(frozen=True, slots=True)
class NumberField:
    """A number an entry may hold, and what the code reads when it is absent.

    ``default`` None: the field is optional, and absent means "none" (no limit, no off-peak
    price). ``required``: the code reads the key without a default; a repair writes
    ``default`` rather than dropping the key.
    """

    kind: EntryKind
    part: Part
    key: str
    default: float | None
    required: bool = False


NUMBER_FIELDS: Final[tuple[NumberField, ...]] = (
    # A strip: its agent's port (coordinator.py, the flows), its polling, its balancing.
    NumberField("strip", "data", CONF_PORT, DEFAULT_PORT, required=True),
    NumberField("strip", "options", CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL),
    NumberField("strip", "options", CONF_BALANCING_INTERVAL, DEFAULT_BALANCING_INTERVAL),
    NumberField("strip", "options", CONF_BATTERY_MAX_AGE, DEFAULT_BATTERY_MAX_AGE),
    # A circuit's rating: 0 W when absent (planning/circuits.py, planning/scheduler.py), what
    # a circuit given NaN carried anyway (its strips keep their exception outlets).
    NumberField("circuit", "options", CONF_MAX_POWER, 0.0),
    # The billing entry's settings (billing/users.py, BillingSettings); no price asks for one
    # (repairs.py).
    NumberField("billing", "options", CONF_PRICE, DEFAULT_PRICE),
    NumberField("billing", "options", CONF_OFFPEAK_PRICE, None),
    NumberField("billing", "options", CONF_WARNING_PERCENT, DEFAULT_WARNING_PERCENT),
    NumberField("billing", "options", CONF_LEAVE_AFTER, DEFAULT_LEAVE_AFTER),
    # A user (billing/users.py, UserConfig).
    NumberField("billing", "user", CONF_LIMIT, None),
    NumberField("billing", "user", CONF_LIMIT_MAX, None),
    NumberField("billing", "user", CONF_PRICE_PERCENT, DEFAULT_PRICE_PERCENT),
    NumberField("billing", "user", CONF_TIER, DEFAULT_TIER),
)


def is_finite_number(value: Any) -> bool:
    """An int or a float that is neither NaN nor infinite (a bool is no number here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return isinstance(value, int) or math.isfinite(value)


def entry_kind(entry: ConfigEntry[Any]) -> EntryKind | None:
    if is_strip_entry(entry):
        return "strip"
    if is_circuit_entry(entry):
        return "circuit"
    if is_billing_entry(entry):
        return "billing"
    return None


@dataclass(slots=True)
class Repair:
    """An entry's data, options and users' data with every number finite, and what changed.

    ``fixes`` names each field repaired (``options.scan_interval``; a user's as
    ``subentries.<id>.tier``, never by the user's name) with what it held and what applies now.
    """

    data: dict[str, Any]
    options: dict[str, Any]
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # only the changed ones
    fixes: list[str] = field(default_factory=list)


def repair(entry: ConfigEntry[Any]) -> Repair:
    """The entry with each number that is no finite number dropped (or, when the code needs
    it, set to its default). Fields that are absent stay absent."""
    fixed = Repair(data=dict(entry.data), options=dict(entry.options))
    for place in _places(entry):
        values = dict(place.values)
        for number in place.fields:
            if (fix := _repair_field(values, number)) is not None:
                fixed.fixes.append(f"{place.name}.{number.key} {fix}")
        if place.subentry_id is not None:
            if values != dict(place.values):
                fixed.users[place.subentry_id] = values
        elif place.name == "data":
            fixed.data = values
        else:
            fixed.options = values
    return fixed


def invalid_fields(entry: ConfigEntry[Any]) -> list[str]:
    """The entry's number fields that hold something else than a finite number.

    An optional field's null is not one: the code reads it as absent ("none"), and a user's
    limit number entity may still write it (Home Assistant's ``number.set_value`` takes NaN).
    """
    return [
        f"{place.name}.{number.key}"
        for place in _places(entry)
        for number in place.fields
        if number.key in place.values
        and not is_finite_number(value := place.values[number.key])
        and not (value is None and number.default is None)
    ]


@dataclass(frozen=True, slots=True)
class _Place:
    """Where some of an entry's numbers are: its data, its options, or a user's data."""

    name: str  # "data", "options" or "subentries.<id>"
    fields: tuple[NumberField, ...]
    values: Mapping[str, Any]
    subentry_id: str | None = None


def _places(entry: ConfigEntry[Any]) -> list[_Place]:
    kind = entry_kind(entry)

    def fields(part: Part) -> tuple[NumberField, ...]:
        return tuple(n for n in NUMBER_FIELDS if n.kind == kind and n.part == part)

    places = [
        _Place("data", fields("data"), entry.data),
        _Place("options", fields("options"), entry.options),
    ]
    if kind == "billing":
        places += [
            _Place(f"subentries.{subentry_id}", fields("user"), subentry.data, subentry_id)
            for subentry_id, subentry in entry.subentries.items()
            if subentry.subentry_type == SUBENTRY_USER
        ]
    return places


def _repair_field(values: dict[str, Any], number: NumberField) -> str | None:
    """Repair ``number`` in ``values``; what was done, or None when it needed nothing."""
    if number.key not in values or is_finite_number(value := values[number.key]):
        return None
    held = _described(value)
    if number.required and number.default is not None:
        values[number.key] = number.default
        return f"({held}: set to {number.default})"
    del values[number.key]
    if number.default is None:
        return f"({held}: removed, none applies)"
    return f"({held}: removed, its default {number.default} applies)"


def _described(value: Any) -> str:
    """What a field held, for the log: a number or null as such, anything else by its type
    only (it could be any text)."""
    if value is None:
        return "null"
    if isinstance(value, float):
        return repr(value)
    return f"a {type(value).__name__}"
