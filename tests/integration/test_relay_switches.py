"""The relay counter sensor: off by default, the agent's saved count once a manager enables it,
and unknown, not an error, from an agent that does not count."""

from __future__ import annotations

from typing import Any

from homeassistant.components.sensor import SensorStateClass
from homeassistant.const import STATE_UNKNOWN, EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from pi_agent.api import views
from tests.support.agent import RunningAgent

from .conftest import wait_for

DESK = "sensor.desk_1_relay_switches"


async def test_each_outlet_has_a_relay_counter_created_disabled(
    hass: HomeAssistant, init_integration: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    for outlet in ("desk_1", "desk_2", "desk_3", "lamp"):  # the lamp switches too
        entry = entity_registry.async_get(f"sensor.{outlet}_relay_switches")
        assert entry is not None
        assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
        assert entry.entity_category is EntityCategory.DIAGNOSTIC
        assert hass.states.get(f"sensor.{outlet}_relay_switches") is None


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_enabled_it_shows_the_agents_saved_count(
    hass: HomeAssistant, init_integration: MockConfigEntry, agent: RunningAgent
) -> None:
    outlet = agent.agent.controller.outlet(1)
    outlet.switches += 40  # as if the relay had switched 40 times before
    assert await agent.agent.persist()

    await wait_for(lambda: hass.states.get(DESK).state == str(outlet.switches))
    attributes = hass.states.get(DESK).attributes
    assert attributes["state_class"] == SensorStateClass.TOTAL_INCREASING
    assert "unit_of_measurement" not in attributes
    assert "device_class" not in attributes


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_an_agent_that_does_not_count_gives_an_unknown_counter(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    agent: RunningAgent,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The test's agent answers as one from before the count: its outlets have no
    ``switches``."""
    outlet_view = views.outlet_view

    def without_count(*args: Any, **kwargs: Any) -> dict[str, Any]:
        view = outlet_view(*args, **kwargs)
        del view["switches"]
        return view

    monkeypatch.setattr(views, "outlet_view", without_count)
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert hass.states.get(DESK).state == STATE_UNKNOWN
    assert hass.states.get("sensor.desk_1_power").state != STATE_UNKNOWN  # the rest is there
