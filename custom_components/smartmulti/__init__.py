"""The SmartMulti integration: each smart power strip (its Raspberry Pi agent) is a config entry."""

from __future__ import annotations

from homeassistant.const import CONF_HOST, CONF_PORT, CONF_TOKEN, Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import SmartMultiClient
from .coordinator import (
    SmartMultiConfigEntry,
    SmartMultiCoordinator,
    SmartMultiRuntimeData,
    outlet_device_identifier,
    strip_device_identifier,
)
from .entity import strip_device_info

PLATFORMS: list[Platform] = [Platform.SELECT, Platform.SENSOR, Platform.SWITCH]


async def async_setup_entry(hass: HomeAssistant, entry: SmartMultiConfigEntry) -> bool:
    """Connect to the agent, create the entities, then follow its event stream."""
    client = SmartMultiClient(
        entry.data[CONF_HOST],
        entry.data[CONF_PORT],
        entry.data[CONF_TOKEN],
        session=async_get_clientsession(hass),
    )
    coordinator = SmartMultiCoordinator(hass, entry, client)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = SmartMultiRuntimeData(client=client, coordinator=coordinator)

    # The strip first: the outlets' devices hang off it (via_device), whichever platform
    # creates them.
    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, **strip_device_info(coordinator)
    )
    _async_remove_stale_outlets(hass, entry, coordinator)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    coordinator.async_start_stream()
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))
    return True


async def async_unload_entry(hass: HomeAssistant, entry: SmartMultiConfigEntry) -> bool:
    """The event stream is a background task of the entry: unloading cancels it."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def _async_options_updated(hass: HomeAssistant, entry: SmartMultiConfigEntry) -> None:
    await hass.config_entries.async_reload(entry.entry_id)


@callback
def _async_remove_stale_outlets(
    hass: HomeAssistant, entry: SmartMultiConfigEntry, coordinator: SmartMultiCoordinator
) -> None:
    """Outlet devices the strip no longer has (it was rebuilt with fewer outlets)."""
    serial = coordinator.data.info.serial
    current = {strip_device_identifier(serial)} | {
        outlet_device_identifier(serial, outlet_id) for outlet_id in coordinator.data.state.outlets
    }
    registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        if not device.identifiers & current:
            registry.async_update_device(device.id, remove_config_entry_id=entry.entry_id)
