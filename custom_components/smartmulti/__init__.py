"""The SmartMulti integration.

Three kinds of config entries: a strip (its Raspberry Pi agent), a circuit (a node of the
site's electrical tree with a maximum power, that strips and other circuits sit under, see
``docs/circuits.md``), and "Users and billing" (one, with the users as subentries, see
``docs/users.md``).
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryError
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.typing import ConfigType

from .billing.ledger import async_get_ledger
from .billing.setup import (
    async_remove_strip_billing,
    async_setup_billing_entry,
    async_setup_strip_billing,
    async_unload_billing_entry,
)
from .const import BALANCING_OPTIONS, DOMAIN, ENTRY_MINOR_VERSION, ENTRY_VERSION, LOGGER
from .coordinator import SmartMultiCoordinator
from .coworker.links import async_get_links
from .entity import strip_device_info
from .entry_kinds import (
    CircuitConfigEntry,
    SmartMultiConfigEntry,
    StripConfigEntry,
    is_billing_entry,
    is_circuit_entry,
)
from .entry_numbers import invalid_fields, repair
from .faults import FaultIssues
from .identifiers import outlet_device_identifier, strip_device_identifier
from .missing_circuits import async_check_missing_circuits
from .orchestration import async_get_temporary_budgets
from .planning.circuits import CircuitPlanner
from .planning.scheduler import async_get_scheduler
from .planning.strip import StripPlanner
from .ratings import RatingIssues
from .runtime import StripRuntimeData
from .services import async_setup_services

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
]
CIRCUIT_PLATFORMS: list[Platform] = [Platform.NUMBER, Platform.SENSOR]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Service actions belong to the domain: they exist even before a strip is set up."""
    async_setup_services(hass)
    return True


async def async_migrate_entry(hass: HomeAssistant, entry: ConfigEntry[Any]) -> bool:
    """Version 1.1 to 1.2: numbers saved as NaN (read back as null) or infinity are repaired
    (``entry_numbers.py``). A later major version is refused: it may mean anything."""
    if entry.version != ENTRY_VERSION:
        LOGGER.error(
            "The SmartMulti entry %s (%s) is of version %s.%s, which this version of SmartMulti "
            "cannot read (it reads version %s): it stays as it is, not set up. Install the "
            "version of SmartMulti that saved it, or a later one",
            entry.title,
            entry.entry_id,
            entry.version,
            entry.minor_version,
            ENTRY_VERSION,
        )
        return False
    if entry.minor_version >= ENTRY_MINOR_VERSION:
        return True  # a later minor version reads as this one
    fixed = repair(entry)
    for subentry_id, data in fixed.users.items():
        hass.config_entries.async_update_subentry(entry, entry.subentries[subentry_id], data=data)
    hass.config_entries.async_update_entry(
        entry, data=fixed.data, options=fixed.options, minor_version=ENTRY_MINOR_VERSION
    )
    if fixed.fixes:
        LOGGER.warning(
            "The SmartMulti entry %s (%s) held numbers that are no numbers, saved by an "
            "earlier version's forms; repaired: %s",
            entry.title,
            entry.entry_id,
            "; ".join(fixed.fixes),
        )
    return True


async def async_setup_entry(hass: HomeAssistant, entry: SmartMultiConfigEntry) -> bool:
    if fields := invalid_fields(entry):
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="not_a_number",
            translation_placeholders={"fields": ", ".join(fields)},
        )
    if is_billing_entry(entry):
        # A reporter proves its user with that user's personal link: the ledger checks
        # pairings against the links before it starts any session.
        links = async_get_links(hass)
        await links.async_load()
        async_get_ledger(hass).reporter_user = links.reporter_user
        return await async_setup_billing_entry(hass, entry)
    if is_circuit_entry(entry):
        return await _async_setup_circuit(hass, entry)
    return await _async_setup_strip(hass, entry)


async def async_unload_entry(hass: HomeAssistant, entry: SmartMultiConfigEntry) -> bool:
    if is_billing_entry(entry):
        return await async_unload_billing_entry(hass, entry)
    if is_circuit_entry(entry):
        if unloaded := await hass.config_entries.async_unload_platforms(entry, CIRCUIT_PLATFORMS):
            async_get_scheduler(hass).unregister_circuit(entry.runtime_data)
            async_get_temporary_budgets(hass).async_detach(entry.entry_id)
        return unloaded
    # The event stream is a background task of the entry: unloading cancels it. The plan is
    # released so the agent's failsafe takes over now rather than when the plan expires.
    if unloaded := await hass.config_entries.async_unload_platforms(entry, PLATFORMS):
        async_get_temporary_budgets(hass).async_detach(entry.entry_id)
        await entry.runtime_data.planner.async_release()
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
    """A removed strip no longer needs room on its circuit; a removed circuit goes on holding
    the strips and circuits that name it, until the manager moves them (``missing_circuits``)."""
    await async_check_missing_circuits(hass, removing=entry)
    scheduler = async_get_scheduler(hass)
    await scheduler.async_load()
    await scheduler.async_forget(entry.entry_id, entry.unique_id)
    await async_get_temporary_budgets(hass).async_forget([entry.entry_id])
    await async_remove_strip_billing(hass, entry)  # its sessions end


async def _async_setup_strip(hass: HomeAssistant, entry: StripConfigEntry) -> bool:
    """Connect to the agent, create the entities, follow its event stream, then balance it."""
    coordinator = SmartMultiCoordinator(hass, entry)
    await coordinator.async_config_entry_first_refresh()
    scheduler = async_get_scheduler(hass)
    await scheduler.async_load()
    planner = StripPlanner(hass, entry, coordinator, scheduler)
    entry.runtime_data = StripRuntimeData(
        client=coordinator.client, coordinator=coordinator, planner=planner
    )
    # Energy is attributed to users (or to nobody) from the first state on.
    await async_setup_strip_billing(hass, entry)

    # The strip first: the outlets' devices hang off it (via_device_id), whichever platform
    # creates them.
    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, **strip_device_info(coordinator)
    )
    _async_remove_stale_outlets(hass, entry, coordinator)
    # The entities restore the balancing settings (budget, strategy...) before the first cycle.
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # A budget set for a while (smartmulti.set_budget) comes back even across a restart.
    await async_get_temporary_budgets(hass).async_attach(entry.entry_id, planner)
    coordinator.async_start_stream()
    planner.async_start()
    faults = FaultIssues(hass, coordinator)
    faults.async_update()
    entry.async_on_unload(coordinator.async_add_listener(faults.async_update))
    entry.async_on_unload(faults.async_stop)
    ratings = RatingIssues(hass, coordinator)
    ratings.async_update()
    entry.async_on_unload(coordinator.async_add_listener(ratings.async_update))
    entry.async_on_unload(ratings.async_stop)
    set_up_with = dict(entry.data)

    async def updated(hass: HomeAssistant, entry: StripConfigEntry) -> None:
        """A new address or token needs a reload; balancing options apply in place."""
        if dict(entry.data) != set_up_with:
            hass.config_entries.async_schedule_reload(entry.entry_id)
            return
        await _async_options_updated(hass, entry)
        await async_check_missing_circuits(hass)  # it may have left a removed circuit

    entry.async_on_unload(entry.add_update_listener(updated))
    await async_check_missing_circuits(hass)
    return True


async def _async_setup_circuit(hass: HomeAssistant, entry: CircuitConfigEntry) -> bool:
    """A circuit talks to nothing: its budget entity restores, then the site plans with it."""
    scheduler = async_get_scheduler(hass)
    await scheduler.async_load()
    entry.runtime_data = CircuitPlanner(entry, scheduler.async_request_cycle)
    await hass.config_entries.async_forward_entry_setups(entry, CIRCUIT_PLATFORMS)
    await async_get_temporary_budgets(hass).async_attach(entry.entry_id, entry.runtime_data)
    scheduler.register_circuit(entry.runtime_data)
    entry.async_on_unload(entry.add_update_listener(_async_reload))
    await async_check_missing_circuits(hass)
    return True


async def _async_options_updated(hass: HomeAssistant, entry: StripConfigEntry) -> None:
    """Balancing options apply in place (a reload would hand the strip to its failsafe)."""
    planner = entry.runtime_data.planner
    before, after = planner.options, entry.options
    changed = {key for key in {*before, *after} if before.get(key) != after.get(key)}
    if changed <= BALANCING_OPTIONS:
        planner.apply_options(after)
        planner.site.async_request_cycle()
        return
    hass.config_entries.async_schedule_reload(entry.entry_id)


async def _async_reload(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
    hass.config_entries.async_schedule_reload(entry.entry_id)


@callback
def _async_remove_stale_outlets(
    hass: HomeAssistant, entry: StripConfigEntry, coordinator: SmartMultiCoordinator
) -> None:
    """Outlet devices the strip no longer has (it was rebuilt with fewer outlets)."""
    serial = coordinator.data.info.serial
    current = {strip_device_identifier(serial)} | {
        outlet_device_identifier(serial, outlet_id) for outlet_id in coordinator.data.state.outlets
    }
    registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        if not device.identifiers & current:
            registry.async_remove_device(device.id)
