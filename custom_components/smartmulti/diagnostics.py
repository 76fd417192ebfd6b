"""Diagnostics: what a manager attaches to a bug report (the token is redacted)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_TOKEN
from homeassistant.core import HomeAssistant

from .coordinator import SmartMultiConfigEntry

TO_REDACT = {CONF_TOKEN}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: SmartMultiConfigEntry
) -> dict[str, Any]:
    coordinator = entry.runtime_data.coordinator
    data = coordinator.data
    return {
        "entry": {
            "title": entry.title,
            "data": async_redact_data(entry.data, TO_REDACT),
            "options": dict(entry.options),
        },
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
    }
