"""Diagnostics: what a manager attaches to a bug report, which anyone may read.

Nothing in it may reach the strip (its host, its token) nor name or bill a person: the
reporter's name and proof in the agent's state and in the ledger's meters are redacted, and
the battery sensors' entity ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_TOKEN
from homeassistant.core import HomeAssistant

from .const import CONF_BATTERY_SENSORS
from .entry_kinds import (
    SmartMultiConfigEntry,
    StripConfigEntry,
    is_billing_entry,
    is_circuit_entry,
    is_strip_entry,
)
from .planning.circuits import CircuitPlanner
from .planning.scheduler import SiteScheduler, async_get_scheduler
from .planning.strip import StripPlanner

TO_REDACT = {CONF_HOST, CONF_TOKEN}
# In the agent's state: who a reporter says it is (a person's name) and its proof of it.
STATE_TO_REDACT = {"user", "user_proof"}
# In the ledger's meters: the last reporter's claim, that same name and proof.
LEDGER_TO_REDACT = {"paired"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: SmartMultiConfigEntry
) -> dict[str, Any]:
    options = dict(entry.options)
    if CONF_BATTERY_SENSORS in options:
        options[CONF_BATTERY_SENSORS] = _outlets_only(options[CONF_BATTERY_SENSORS])
    about_entry = {
        "title": entry.title,
        "data": async_redact_data(entry.data, TO_REDACT),
        "options": options,
        "state": entry.state.value,
        # Why it is not set up (the agent unreachable...), which names its address.
        "reason": _without_host(entry, entry.reason),
    }
    if entry.state is not ConfigEntryState.LOADED:
        return {"entry": about_entry}  # no runtime data: what it would hold is not there
    if is_strip_entry(entry):
        return {"entry": about_entry, **_strip(hass, entry)}
    if is_circuit_entry(entry):
        return {"entry": about_entry, "circuit": _circuit(entry.runtime_data)}
    assert is_billing_entry(entry)
    # Users by id: their names, persons and notify targets are personal data.
    ledger = async_redact_data(entry.runtime_data.diagnostics(), LEDGER_TO_REDACT)
    return {"entry": about_entry, "ledger": ledger}


def _strip(hass: HomeAssistant, entry: StripConfigEntry) -> dict[str, Any]:
    coordinator = entry.runtime_data.coordinator
    data = coordinator.data
    return {
        "connection": {
            "available": coordinator.last_update_success,
            "stream_connected": coordinator.stream_connected,
            "stream_connections": coordinator.stream_connections,
            "poll_interval_s": coordinator.poll_interval.total_seconds(),
            "last_error": None
            if coordinator.last_exception is None
            else _without_host(entry, repr(coordinator.last_exception)),
        },
        "info": asdict(data.info),
        "state": async_redact_data(dict(data.state.raw), STATE_TO_REDACT),
        "outlet_status": {
            outlet_id: outlet.status.value for outlet_id, outlet in data.state.outlets.items()
        },
        "balancing": _planning(entry.runtime_data.planner, async_get_scheduler(hass)),
    }


def _planning(planner: StripPlanner, site: SiteScheduler) -> dict[str, Any]:
    result = planner.result
    return {
        "settings": asdict(planner.settings),
        "interval_s": planner.interval.total_seconds(),
        "circuit": planner.circuit_id,
        "battery_sensors": _outlets_only(planner.battery_sensors),
        "last_sent_budget_w": planner.last_sent_budget_w,
        "last_cycle": None
        if result is None
        else {
            "planned_at": result.planned_at.isoformat(),
            "sent": result.sent,
            "lease": asdict(result.plan),
            "plan": asdict(result.strip_plan),
        },
        "site": {
            "cycles": site.cycles,
            "strips": sorted(strip.strip_id for strip in site.strips.values()),
            "circuits": None if site.last_root is None else asdict(site.last_root),
        },
    }


def _without_host(entry: SmartMultiConfigEntry, text: str | None) -> str | None:
    """An error's text without the strip's address."""
    host = entry.data.get(CONF_HOST)
    return text if text is None or not host else text.replace(host, REDACTED)


def _outlets_only[K](sensors: Mapping[K, str]) -> dict[K, str]:
    """Which outlets have a battery sensor, not which: a companion app names its sensors after
    the laptop, itself often named after its owner."""
    return dict.fromkeys(sensors, REDACTED)


def _circuit(circuit: CircuitPlanner) -> dict[str, Any]:
    return {
        "rating_w": circuit.rating_w,
        "budget_w": circuit.budget_w,
        "power_w": circuit.power_w,
        "allocated_w": circuit.allocated_w,
    }
