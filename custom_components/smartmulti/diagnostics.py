"""Diagnostics: what a manager attaches to a bug report (the token is redacted)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_TOKEN
from homeassistant.core import HomeAssistant

from .billing.setup import is_billing_entry
from .coordinator import SmartMultiConfigEntry
from .site import CircuitBalancing, StripBalancing, is_circuit_entry

TO_REDACT = {CONF_TOKEN}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: SmartMultiConfigEntry
) -> dict[str, Any]:
    about_entry = {
        "title": entry.title,
        "data": async_redact_data(entry.data, TO_REDACT),
        "options": dict(entry.options),
    }
    if is_billing_entry(entry):
        # Users by id: their names, persons and notify targets are personal data.
        return {"entry": about_entry, "ledger": entry.runtime_data.diagnostics()}
    if is_circuit_entry(entry):
        return {"entry": about_entry, "circuit": _circuit(entry.runtime_data)}
    coordinator = entry.runtime_data.coordinator
    data = coordinator.data
    return {
        "entry": about_entry,
        "connection": {
            "available": coordinator.last_update_success,
            "stream_connected": coordinator.stream_connected,
            "stream_connections": coordinator.stream_connections,
            "poll_interval_s": coordinator.poll_interval.total_seconds(),
            "last_error": None
            if coordinator.last_exception is None
            else repr(coordinator.last_exception),
        },
        "info": asdict(data.info),
        "state": dict(data.state.raw),
        "outlet_status": {
            outlet_id: outlet.status.value for outlet_id, outlet in data.state.outlets.items()
        },
        "balancing": _balancing(entry.runtime_data.balancing),
    }


def _balancing(balancing: StripBalancing) -> dict[str, Any]:
    result = balancing.result
    site = balancing.site
    return {
        "settings": asdict(balancing.settings),
        "interval_s": balancing.interval.total_seconds(),
        "circuit": balancing.circuit_id,
        "battery_sensors": balancing.battery_sensors,
        "last_sent_budget_w": balancing.last_sent_budget_w,
        "last_cycle": None
        if result is None
        else {
            "planned_at": result.planned_at.isoformat(),
            "sent": result.sent,
            "lease": asdict(result.lease),
            "plan": asdict(result.plan),
        },
        "site": {
            "cycles": site.cycles,
            "strips": sorted(strip.strip_id for strip in site.strips.values()),
            "circuits": None if site.last_root is None else asdict(site.last_root),
        },
    }


def _circuit(circuit: CircuitBalancing) -> dict[str, Any]:
    return {
        "rating_w": circuit.rating_w,
        "budget_w": circuit.budget_w,
        "power_w": circuit.power_w,
        "allocated_w": circuit.allocated_w,
    }
