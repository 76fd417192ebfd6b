"""The entities: a snapshot of every one, and the properties managers rely on."""

from __future__ import annotations

import re
from typing import Any
from unittest.mock import patch

from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import Platform, UnitOfEnergy
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from custom_components.smartmulti import PLATFORMS
from tests.support.agent import RunningAgent

from .conftest import report_battery, wait_for

# Measurements move with the simulated world in real time, and so do the balancer's decisions
# (a plan's reason depends on how long ago each relay switched, a battery's estimate on the
# draw); everything else is deterministic with the test strip (every relay on from the first
# sample, the lamp an exception outlet). A relay count moves with the switching, and is shown
# once the agent has saved it.
MEASURED = re.compile(
    r"^sensor\..+_(power|energy|current|voltage|reason|time_to_full|waiting_laptops|laptops_without_battery_report|battery|relay_switches)$"
)
# Whether the estimate is there yet depends on the cycles run so far.
MEASURED_ATTRIBUTES = ("source",)


def _mask_measurements(*, data: Any, path: Any) -> Any:
    if isinstance(data, dict) and MEASURED.match(str(data.get("entity_id", ""))):
        masked = {**data, "state": "<measured>"}
        if isinstance(attributes := data.get("attributes"), dict):
            masked["attributes"] = type(attributes)(
                {
                    key: "<measured>" if key in MEASURED_ATTRIBUTES else value
                    for key, value in attributes.items()
                }
            )
        return type(data)(masked)
    return data


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("platform", PLATFORMS)
async def test_entities_match_the_snapshot(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    mock_config_entry.add_to_hass(hass)
    with patch("custom_components.smartmulti.PLATFORMS", [platform]):
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()

        try:
            await snapshot_platform(
                hass,
                entity_registry,
                snapshot.with_defaults(matcher=_mask_measurements),
                mock_config_entry.entry_id,
            )
        finally:
            # Unloaded with the platforms it was set up with: the "Users and billing" entry the
            # strip created loads the number and sensor platforms, which would refuse the strip.
            assert await hass.config_entries.async_unload(mock_config_entry.entry_id)


async def test_only_meter_and_relay_details_are_disabled_by_default(
    hass: HomeAssistant, init_integration: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    disabled = sorted(
        entry.entity_id
        for entry in er.async_entries_for_config_entry(entity_registry, init_integration.entry_id)
        if entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    )

    assert disabled == [
        f"sensor.{outlet}_{measure}"
        for outlet in ("desk_1", "desk_2", "desk_3", "lamp")
        for measure in ("current", "relay_switches", "voltage")
    ]


@pytest.mark.parametrize(
    "entity_id",
    ["sensor.desk_1_energy", "sensor.lamp_energy", "sensor.coworking_strip_total_energy"],
)
async def test_energy_sensors_qualify_for_the_energy_dashboard(
    hass: HomeAssistant, init_integration: MockConfigEntry, entity_id: str
) -> None:
    attributes = hass.states.get(entity_id).attributes

    assert attributes["device_class"] == SensorDeviceClass.ENERGY
    assert attributes["unit_of_measurement"] == UnitOfEnergy.KILO_WATT_HOUR
    assert attributes["state_class"] == SensorStateClass.TOTAL_INCREASING


async def test_energy_is_the_agents_counter_in_kwh(
    hass: HomeAssistant, init_integration: MockConfigEntry, agent: RunningAgent
) -> None:
    outlet = agent.agent.controller.outlet(2)
    outlet.energy_wh = 1234.5  # as if the desk had drawn 1.2 kWh before Home Assistant started

    await wait_for(lambda: hass.states.get("sensor.desk_2_energy").state == "1.2345")


async def test_a_laptop_reporting_a_full_battery_shows_full(
    hass: HomeAssistant, init_integration: MockConfigEntry, agent: RunningAgent
) -> None:
    await report_battery(hass, agent, 3, 100.0)  # a laptop's reporter

    await wait_for(lambda: hass.states.get("sensor.desk_3_state").state == "full")
    assert hass.states.get("sensor.desk_3_battery").state == "100.0"
