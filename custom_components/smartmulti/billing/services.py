"""Service actions of users and billing: sessions, consumption by period, billing export.

``start_session`` / ``stop_session`` let an automation claim an outlet (an NFC tag, a QR code);
``get_consumption`` reads the users' energy from Home Assistant's long-term statistics, so it
answers for any period the recorder keeps; ``export_billing`` bills sessions from the ledger
(``export``). Their users, outlets and periods are found by ``lookups``.
"""

from __future__ import annotations

from typing import Any, Final, Literal, cast

from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv, entity_registry as er
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util

from ..compat import vol
from ..const import DOMAIN
from .export import async_export_billing, exact_kwh
from .lookups import (
    ATTR_END,
    ATTR_OUTLET,
    ATTR_START,
    ATTR_USER,
    call_period,
    find_outlet,
    find_user,
    loaded_ledger,
)
from .sessions import EndReason, Session, StartReason

SERVICE_START_SESSION: Final = "start_session"
SERVICE_STOP_SESSION: Final = "stop_session"
SERVICE_GET_CONSUMPTION: Final = "get_consumption"
SERVICE_EXPORT_BILLING: Final = "export_billing"

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
        async_export_billing,
        schema=EXPORT_BILLING_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )


# ---------------------------------------------------------------------- sessions


async def _async_start_session(call: ServiceCall) -> ServiceResponse:
    ledger = loaded_ledger(call.hass)
    user = find_user(call.hass, ledger, call.data[ATTR_USER])
    entry_id, outlet_id = find_outlet(call.hass, ledger, call.data[ATTR_OUTLET])
    session = ledger.async_start_session(user.id, entry_id, outlet_id, StartReason.SERVICE)
    return _session_view(session)


async def _async_stop_session(call: ServiceCall) -> ServiceResponse:
    ledger = loaded_ledger(call.hass)
    if ATTR_USER not in call.data and ATTR_OUTLET not in call.data:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="user_or_outlet")
    sessions = ledger.open_sessions()
    asked = []
    if ATTR_USER in call.data:
        user = find_user(call.hass, ledger, call.data[ATTR_USER])
        sessions = [s for s in sessions if s.user_id == user.id]
        asked.append(user.name)
    if ATTR_OUTLET in call.data:
        entry_id, outlet_id = find_outlet(call.hass, ledger, call.data[ATTR_OUTLET])
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
        "energy_kwh": float(exact_kwh(session.energy_wh)),
    }


# ---------------------------------------------------------------------- consumption


async def _async_get_consumption(call: ServiceCall) -> ServiceResponse:
    """Each user's energy per hour, day, week or month, from the long-term statistics."""
    hass = call.hass
    ledger = loaded_ledger(hass)
    start, end = call_period(call)
    users = (
        [find_user(hass, ledger, call.data[ATTR_USER])]
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
