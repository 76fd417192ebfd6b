"""What the users and billing service actions are given: a user, an outlet, a period.

Users are given by their device (the UI's picker) or their name; outlets by their device or one
of their entities; periods by a start and an optional end, local when naive. Each lookup raises
a translated ``ServiceValidationError`` naming what it did not find.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util

from ..const import DOMAIN
from ..entry_kinds import is_billing_entry
from ..targets import TargetKind, async_resolve_one
from .ledger import Ledger
from .users import UserConfig

ATTR_USER: Final = "user"
ATTR_OUTLET: Final = "outlet"
ATTR_START: Final = "start"
ATTR_END: Final = "end"


def loaded_ledger(hass: HomeAssistant) -> Ledger:
    """The ledger of the loaded billing entry (its users are needed)."""
    for entry in hass.config_entries.async_entries(DOMAIN):
        if is_billing_entry(entry) and entry.state is ConfigEntryState.LOADED:
            return entry.runtime_data
    raise ServiceValidationError(translation_domain=DOMAIN, translation_key="billing_not_loaded")


def find_user(hass: HomeAssistant, ledger: Ledger, value: str) -> UserConfig:
    """A user by device id (the UI's device picker) or by name (YAML, a tag's automation)."""
    target = async_resolve_one(hass, value)
    if target is not None and target.kind is TargetKind.USER and target.user_id in ledger.users:
        return ledger.users[target.user_id]
    if (named := ledger.user_named(value)) is not None:
        return named
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="unknown_user",
        translation_placeholders={"user": value},
    )


def find_outlet(hass: HomeAssistant, ledger: Ledger, value: str) -> tuple[str, int]:
    """(strip entry id, outlet id) of an outlet device, or of one of its entities, on a strip
    the ledger follows (a loaded one)."""
    target = async_resolve_one(hass, value)
    if (
        target is not None
        and target.kind is TargetKind.OUTLET
        and target.outlet_id is not None
        and (watch := ledger.strips.get(target.entry.entry_id)) is not None
        and target.outlet_id in watch.coordinator.data.state.outlets
    ):
        return target.entry.entry_id, target.outlet_id
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="unknown_outlet",
        translation_placeholders={"outlet": value},
    )


def call_period(call: ServiceCall) -> tuple[datetime, datetime]:
    """The call's start and end (now if not given) in UTC; naive times are local."""
    start = _aware(call.data[ATTR_START])
    end = _aware(call.data[ATTR_END]) if ATTR_END in call.data else dt_util.utcnow()
    if end <= start:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="end_before_start",
            translation_placeholders={
                "start": dt_util.as_local(start).isoformat(),
                "end": dt_util.as_local(end).isoformat(),
            },
        )
    return start, end


#: The years a period may start or end in: beyond them a date is a typing slip, and near year
#: 1 or 9999 turning it into UTC overflows.
FIRST_YEAR, LAST_YEAR = 2000, 2100


def _aware(value: datetime) -> datetime:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="date_out_of_range",
            translation_placeholders={
                "date": value.isoformat(),
                "first": str(FIRST_YEAR),
                "last": str(LAST_YEAR),
            },
        )
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt_util.get_default_time_zone())
    return dt_util.as_utc(value)
