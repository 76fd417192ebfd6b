"""The strip as the orchestration tests observe it: which outlets are balanced and which is the
lamp, the agent's relays and plan, and the strip's device in Home Assistant.

Shutting down, resuming and setting a budget are checked both through the services themselves and
through the blueprints that call them (closing hours, off-peak budget); all of them look at the
same relays, plans and device, so these observers live here and every such test module imports
them from one place.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant

from custom_components.smartmulti.identifiers import strip_device_identifier
from tests.integration.devices import device_with
from tests.support.agent import RunningAgent

BALANCED = (1, 2, 3)
LAMP = 4  # an exception outlet
CLOSED = "binary_sensor.coworking_strip_open_or_closed"


def relays(running: RunningAgent) -> dict[int, bool]:
    controller = running.agent.controller
    return {outlet_id: controller.outlet(outlet_id).relay_on for outlet_id in (*BALANCED, LAMP)}


def all_balanced_off(running: RunningAgent) -> bool:
    return not any(relays(running)[outlet_id] for outlet_id in BALANCED)


def plan_budget(agent: RunningAgent) -> float | None:
    """The budget of the agent's plan; None for the moment a plan expires before the next one
    (a slow cycle on a busy machine)."""
    plan = agent.agent.controller.plan
    return None if plan is None else plan.budget_w


def plan_is_closed(running: RunningAgent) -> bool:
    plan = running.agent.controller.plan
    return plan is not None and plan.on_expiry == "off" and not plan.on


def strip_device(hass: HomeAssistant, running: RunningAgent) -> str:
    device = device_with(hass, strip_device_identifier(running.serial))
    assert device is not None
    return device.id
