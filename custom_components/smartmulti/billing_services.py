"""Service actions of users and billing: sessions, consumption by period, billing export.

``start_session`` / ``stop_session`` let an automation claim an outlet (an NFC tag, a QR code);
``get_consumption`` reads the users' energy from Home Assistant's long-term statistics, so it
answers for any period the recorder keeps; ``export_billing`` bills sessions from the ledger
(a session belongs to the period it started in), so its lines add up exactly to its totals.

Users are given by their device (the UI's picker) or their name; outlets by their device or one
of their entities.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
import io
from pathlib import Path
from typing import Any, Final, Literal, cast

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import (
    HomeAssistantError,
    ServiceValidationError,
    Unauthorized,
    UnknownUser,
)
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    entity_registry as er,
)
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util

from .billing import user_device_identifier
from .billing_download import async_download_link, export_path
from .compat import vol
from .const import DOMAIN
from .coordinator import outlet_device_identifier
from .entry_kinds import is_billing_entry
from .ledger import EndReason, Ledger, Session, StartReason
from .users import UserConfig

SERVICE_START_SESSION: Final = "start_session"
SERVICE_STOP_SESSION: Final = "stop_session"
SERVICE_GET_CONSUMPTION: Final = "get_consumption"
SERVICE_EXPORT_BILLING: Final = "export_billing"

ATTR_USER: Final = "user"
ATTR_OUTLET: Final = "outlet"
ATTR_START: Final = "start"
ATTR_END: Final = "end"
ATTR_GRANULARITY: Final = "granularity"
GRANULARITIES: Final = ("hour", "day", "week", "month")
type Granularity = Literal["hour", "day", "week", "month"]

START_SESSION_SCHEMA: Final = vol.Schema(
    {vol.Required(ATTR_USER): cv.string, vol.Required(ATTR_OUTLET): cv.string}
)
STOP_SESSION_SCHEMA: Final = vol.Schema(
    {vol.Optional(ATTR_USER): cv.string, vol.Optional(ATTR_OUTLET): cv.string}
)
GET_CONSUMPTION_SCHEMA: Final = vol.Schema(
    {
        vol.Optional(ATTR_USER): cv.string,
        vol.Required(ATTR_START): cv.datetime,
        vol.Optional(ATTR_END): cv.datetime,
        vol.Optional(ATTR_GRANULARITY, default="day"): vol.In(GRANULARITIES),
    }
)
EXPORT_BILLING_SCHEMA: Final = vol.Schema(
    {
        vol.Optional(ATTR_USER): cv.string,
        vol.Required(ATTR_START): cv.datetime,
        vol.Optional(ATTR_END): cv.datetime,
    }
)

CSV_FIELDS: Final = (
    "row",
    "user",
    "sessions",
    "outlet",
    "started",
    "ended",
    "energy_kwh",
    "cost",
    "currency",
)
KWH: Final = Decimal("0.000001")  # a milliwatt-hour: every Wh is exact
MONEY: Final = Decimal("0.0001")


@callback
def async_setup_billing_services(hass: HomeAssistant) -> None:
    """Register the users and billing service actions (from ``async_setup``)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_START_SESSION,
        _async_start_session,
        schema=START_SESSION_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_STOP_SESSION,
        _async_stop_session,
        schema=STOP_SESSION_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_CONSUMPTION,
        _async_get_consumption,
        schema=GET_CONSUMPTION_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_EXPORT_BILLING,
        _async_export_billing,
        schema=EXPORT_BILLING_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )


# ---------------------------------------------------------------------- sessions


async def _async_start_session(call: ServiceCall) -> ServiceResponse:
    ledger = _ledger(call.hass)
    user = _user(call.hass, ledger, call.data[ATTR_USER])
    entry_id, outlet_id = _outlet(call.hass, ledger, call.data[ATTR_OUTLET])
    session = ledger.async_start_session(user.id, entry_id, outlet_id, StartReason.SERVICE)
    return _session_view(session)


async def _async_stop_session(call: ServiceCall) -> ServiceResponse:
    ledger = _ledger(call.hass)
    if ATTR_USER not in call.data and ATTR_OUTLET not in call.data:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="user_or_outlet")
    sessions = ledger.open_sessions()
    asked = []
    if ATTR_USER in call.data:
        user = _user(call.hass, ledger, call.data[ATTR_USER])
        sessions = [s for s in sessions if s.user_id == user.id]
        asked.append(user.name)
    if ATTR_OUTLET in call.data:
        entry_id, outlet_id = _outlet(call.hass, ledger, call.data[ATTR_OUTLET])
        serial = ledger.strips[entry_id].serial
        sessions = [s for s in sessions if (s.strip, s.outlet) == (serial, outlet_id)]
        asked.append(ledger.strips[entry_id].coordinator.data.state.outlets[outlet_id].name)
    if not sessions:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="no_session",
            translation_placeholders={"target": ", ".join(asked)},
        )
    ended = ledger.async_end_sessions(sessions, EndReason.STOPPED)
    return {"sessions": [_session_view(session) for session in ended]}


def _session_view(session: Session) -> dict[str, Any]:
    return {
        "session_id": session.id,
        "user": session.user,
        "outlet": session.place,
        "started": session.started_at.isoformat(),
        "ended": None if session.ended_at is None else session.ended_at.isoformat(),
        "energy_kwh": float(_kwh(session.energy_wh)),
    }


# ---------------------------------------------------------------------- consumption


async def _async_get_consumption(call: ServiceCall) -> ServiceResponse:
    """Each user's energy per hour, day, week or month, from the long-term statistics."""
    hass = call.hass
    ledger = _ledger(hass)
    start, end = _period(call)
    users = (
        [_user(hass, ledger, call.data[ATTR_USER])]
        if ATTR_USER in call.data
        else sorted(ledger.users.values(), key=lambda user: user.name.casefold())
    )
    if "recorder" not in hass.config.components:
        raise HomeAssistantError(translation_domain=DOMAIN, translation_key="recorder_unavailable")
    # Imported here: the recorder is an after-dependency, loaded only when configured.
    from homeassistant.components.recorder.statistics import (  # noqa: PLC0415
        statistics_during_period,
    )

    entry_id = cast(str, ledger.billing_entry_id)
    registry = er.async_get(hass)
    sensors = {
        key: registry.async_get_entity_id("sensor", DOMAIN, f"{entry_id}_user_{key}_energy")
        for key in [*(user.id for user in users), "unassigned"]
    }
    granularity: Granularity = call.data[ATTR_GRANULARITY]
    rows = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        start,
        end,
        {entity_id for entity_id in sensors.values() if entity_id},
        granularity,
        {"energy": "kWh"},
        {"change"},
    )

    def figures(entity_id: str | None) -> dict[str, Any]:
        periods: list[dict[str, Any]] = [
            {
                "start": _local_iso(row["start"]),
                "end": _local_iso(row["end"]),
                "energy": round(row.get("change") or 0.0, 4),
            }
            for row in (rows.get(entity_id, []) if entity_id else [])
        ]
        return {
            "entity_id": entity_id,
            "total": round(sum(float(period["energy"]) for period in periods), 4),
            "periods": periods,
        }

    response: dict[str, Any] = {
        "start": dt_util.as_local(start).isoformat(),
        "end": dt_util.as_local(end).isoformat(),
        "granularity": granularity,
        "unit": "kWh",
        "users": [
            {"user": user.name, "user_id": user.id, **figures(sensors[user.id])} for user in users
        ],
    }
    if ATTR_USER not in call.data:
        response["unassigned"] = figures(sensors["unassigned"])
    return response


def _local_iso(timestamp: float) -> str:
    return dt_util.as_local(dt_util.utc_from_timestamp(timestamp)).isoformat()


# ---------------------------------------------------------------------- billing


@dataclass(slots=True)
class _Bill:
    """A user's sessions as billed (energy and cost rounded), and their totals."""

    user: str
    user_id: str
    lines: list[tuple[Session, Decimal, Decimal]] = field(default_factory=list)

    def add(self, session: Session) -> None:
        self.lines.append((session, _kwh(session.energy_wh), _money(session.cost)))

    @property
    def energy_kwh(self) -> Decimal:
        return sum((kwh for _, kwh, _ in self.lines), Decimal())

    @property
    def cost(self) -> Decimal:
        return sum((cost for _, _, cost in self.lines), Decimal())


async def _async_require_admin(call: ServiceCall) -> None:
    """Everyone's consumption is for administrators; an automation (no user) may ask too.

    The check of Home Assistant's admin services, whose helper takes no response on the oldest
    supported release.
    """
    if call.context.user_id is None:
        return
    user = await call.hass.auth.async_get_user(call.context.user_id)
    if user is None:
        raise UnknownUser(context=call.context, user_id=call.context.user_id)
    if not user.is_admin:
        raise Unauthorized(context=call.context)


async def _async_export_billing(call: ServiceCall) -> ServiceResponse:
    """A CSV of the sessions started in the period, with each user's total."""
    hass = call.hass
    await _async_require_admin(call)
    ledger = _ledger(hass)
    start, end = _period(call)
    only = _user(hass, ledger, call.data[ATTR_USER]) if ATTR_USER in call.data else None
    bills: dict[str, _Bill] = {}
    for session in await ledger.async_sessions_between(start, end):
        if only and session.user_id != only.id:
            continue
        user = ledger.users.get(session.user_id)
        bill = bills.setdefault(
            session.user_id, _Bill(session.user if user is None else user.name, session.user_id)
        )
        bill.add(session)
    currency = hass.config.currency
    ordered = sorted(bills.values(), key=lambda bill: bill.user.casefold())
    text = _csv(ordered, start, end, currency)
    local_start, local_end = dt_util.as_local(start), dt_util.as_local(end)
    name = f"billing_{local_start:%Y%m%d}_{local_end:%Y%m%d}.csv"
    path = export_path(hass, name)
    try:
        await hass.async_add_executor_job(_write, path, text)
    except OSError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="export_failed",
            translation_placeholders={"path": str(path), "error": str(err)},
        ) from err
    users: list[dict[str, Any]] = []
    for bill in ordered:
        users.append(
            {
                "user": bill.user,
                "user_id": bill.user_id,
                "sessions": len(bill.lines),
                "energy_kwh": float(bill.energy_kwh),
                "cost": float(bill.cost),
                "items": [
                    {
                        "outlet": session.place,
                        "started": dt_util.as_local(session.started_at).isoformat(),
                        "ended": None
                        if session.ended_at is None
                        else dt_util.as_local(session.ended_at).isoformat(),
                        "end_reason": session.end_reason,
                        "energy_kwh": float(kwh),
                        "cost": float(cost),
                    }
                    for session, kwh, cost in bill.lines
                ],
            }
        )
    response: dict[str, Any] = {
        "path": str(path),
        # The CSV for the browser: a link signed for the person who ran the action (an
        # automation has nobody to sign it for).
        "url": async_download_link(hass, name) if call.context.user_id else None,
        "start": local_start.isoformat(),
        "end": local_end.isoformat(),
        "currency": currency,
        "users": users,
        "csv": text,
    }
    return response


def _csv(bills: list[_Bill], start: datetime, end: datetime, currency: str) -> str:
    """One line per session, then the user's total: the sum of the lines above it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for bill in bills:
        for session, kwh, cost in bill.lines:
            writer.writerow(
                (
                    "session",
                    bill.user,
                    1,
                    session.place,
                    dt_util.as_local(session.started_at).isoformat(),
                    ""
                    if session.ended_at is None
                    else dt_util.as_local(session.ended_at).isoformat(),
                    kwh,
                    cost,
                    currency,
                )
            )
        writer.writerow(
            (
                "total",
                bill.user,
                len(bill.lines),
                "",
                dt_util.as_local(start).isoformat(),
                dt_util.as_local(end).isoformat(),
                bill.energy_kwh,
                bill.cost,
                currency,
            )
        )
    return out.getvalue()


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _kwh(wh: float) -> Decimal:
    return (Decimal(repr(wh)) / 1000).quantize(KWH, rounding=ROUND_HALF_UP)


def _money(amount: float) -> Decimal:
    return Decimal(repr(amount)).quantize(MONEY, rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------------- lookups


def _ledger(hass: HomeAssistant) -> Ledger:
    """The ledger of the loaded billing entry (its users are needed)."""
    for entry in hass.config_entries.async_entries(DOMAIN):
        if is_billing_entry(entry) and entry.state is ConfigEntryState.LOADED:
            return entry.runtime_data
    raise ServiceValidationError(translation_domain=DOMAIN, translation_key="billing_not_loaded")


def _user(hass: HomeAssistant, ledger: Ledger, value: str) -> UserConfig:
    """A user by device id (the UI's device picker) or by name (YAML, a tag's automation)."""
    if (device := dr.async_get(hass).async_get(value)) is not None:
        for user_id, user in ledger.users.items():
            if user_device_identifier(user_id) in device.identifiers:
                return user
    if (named := ledger.user_named(value)) is not None:
        return named
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="unknown_user",
        translation_placeholders={"user": value},
    )


def _outlet(hass: HomeAssistant, ledger: Ledger, value: str) -> tuple[str, int]:
    """(strip entry id, outlet id) of an outlet device, or of one of its entities."""
    device_id: str | None = value
    if (entity := er.async_get(hass).async_get(value)) is not None:
        device_id = entity.device_id
    device = dr.async_get(hass).async_get(device_id) if device_id else None
    if device is not None:
        for entry_id, watch in ledger.strips.items():
            serial = watch.serial
            for outlet_id in watch.coordinator.data.state.outlets:
                if outlet_device_identifier(serial, outlet_id) in device.identifiers:
                    return entry_id, outlet_id
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="unknown_outlet",
        translation_placeholders={"outlet": value},
    )


def _period(call: ServiceCall) -> tuple[datetime, datetime]:
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


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt_util.get_default_time_zone())
    return dt_util.as_utc(value)
