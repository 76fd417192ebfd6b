"""An outlet that draws above its rating reaches the installer as a repair issue."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartmulti.const import DOMAIN
from custom_components.smartmulti.ratings import rating_issue_id
from tests.support.agent import RunningAgent

from .conftest import wait_for


def _issue(hass: HomeAssistant, agent: RunningAgent, outlet_id: int) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, rating_issue_id(agent.serial, outlet_id))


async def test_a_rating_below_the_draw_raises_an_issue_until_it_covers_it(
    hass: HomeAssistant, agent: RunningAgent, init_integration: MockConfigEntry
) -> None:
    coordinator = init_integration.runtime_data.coordinator

    def charging() -> int | None:
        for outlet in coordinator.data.state.outlets.values():
            if not outlet.exception and outlet.relay and outlet.power_w >= 20.0:
                return outlet.id
        return None

    await wait_for(lambda: charging() is not None)
    outlet_id = charging()
    assert outlet_id is not None
    assert _issue(hass, agent, outlet_id) is None
    # The installer rates the outlet at 10 W, below what its laptop draws.
    agent.agent.controller.update_outlet(outlet_id, max_power_w=10.0)

    await wait_for(lambda: _issue(hass, agent, outlet_id) is not None)
    issue = _issue(hass, agent, outlet_id)
    assert issue is not None
    assert issue.translation_key == "outlet_rating"
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["rating"] == "10"
    assert float(issue.translation_placeholders["drawn"]) > 10.0
    outlet = coordinator.data.state.outlets[outlet_id]
    assert outlet.drawn_max_w > outlet.max_power_w == 10.0
    # The engine's next cycle counts what the outlet has drawn, not the rating short of it.
    planner = init_integration.runtime_data.planner

    def counted_w() -> float | None:
        strip = planner.last_input
        if strip is None:
            return None
        return next(o.max_power_w for o in strip.outlets if o.outlet_id == outlet_id)

    def drawn_w() -> float:
        return coordinator.data.state.outlets[outlet_id].drawn_max_w

    # A cycle from before the rating was set counted the old one: wait for one after.
    await wait_for(lambda: counted_w() == drawn_w())
    assert drawn_w() > 10.0

    agent.agent.controller.update_outlet(outlet_id, max_power_w=500.0)

    await wait_for(lambda: _issue(hass, agent, outlet_id) is None)
    assert await hass.config_entries.async_unload(init_integration.entry_id)
