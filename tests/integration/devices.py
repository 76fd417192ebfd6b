"""Finding a device by identifier the same way on every supported Home Assistant.

Identifiers are unique only within a config entry since 2026.8, so the tests ask for every
device with the identifier and expect at most one: each SmartMulti device has one owner.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr


def device_with(hass: HomeAssistant, identifier: tuple[str, str]) -> dr.DeviceEntry | None:
    registry = dr.async_get(hass)
    if hasattr(registry, "async_get_devices"):
        found = registry.async_get_devices(identifiers={identifier})
    else:  # the oldest supported release, where identifiers were unique
        found = [device] if (device := registry.async_get_device({identifier})) else []
    assert len(found) <= 1, f"{len(found)} devices have {identifier}"
    return found[0] if found else None
