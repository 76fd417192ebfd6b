"""A strip balanced by Home Assistant, as the balancing tests set it up and reach its entities:
its balanced outlets, its budget and strategy entities, and a planner whose first plan the agent
has received.

What one plan carries and how a strip's plan lives through set-up, reloads and restarts are
tested apart, against the same strip; both start from this set-up and name the same entities,
so they live here and neither test module depends on the other.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant

from custom_components.smartmulti.planning.strip import StripPlanner
from tests.support.agent import RunningAgent

from .conftest import setup_entries, strip_entry, wait_for

BALANCED = (1, 2, 3)  # desks; outlet 4 is the lamp, an exception outlet
BUDGET = "number.coworking_strip_power_budget"
STRATEGY = "select.coworking_strip_balancing_strategy"


async def strip_planner(
    hass: HomeAssistant, agent: RunningAgent, **options: object
) -> StripPlanner:
    entry = strip_entry(hass, agent, **options)
    await setup_entries(hass, entry)
    planner: StripPlanner = entry.runtime_data.planner
    await wait_for(lambda: planner.result is not None and planner.result.sent)
    return planner
