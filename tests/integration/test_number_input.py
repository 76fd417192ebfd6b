"""Numbers set through Home Assistant's ``number.set_value``: "nan" is refused, nothing changes.

Home Assistant's range check lets NaN through (no comparison with NaN is true), and its clamp
keeps it; a budget or a limit of NaN would then reach the planner, or be saved as null.
"""

from __future__ import annotations

from homeassistant.components.number import DOMAIN as NUMBER_DOMAIN, SERVICE_SET_VALUE
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartmulti.billing.users import CONF_LIMIT
from custom_components.smartmulti.const import DOMAIN
from custom_components.smartmulti.entry_kinds import is_billing_entry
from tests.support.agent import RunningAgent

from .balancing_support import BUDGET, strip_planner
from .billing_support import alice_in_session
from .conftest import circuit_entry, setup_entries, strip_entry


async def _refused(hass: HomeAssistant, entity_id: str, value: str) -> None:
    before = hass.states.get(entity_id)
    assert before is not None
    with pytest.raises(ServiceValidationError) as refused:
        await hass.services.async_call(
            NUMBER_DOMAIN,
            SERVICE_SET_VALUE,
            {ATTR_ENTITY_ID: entity_id, "value": value},
            blocking=True,
        )
    assert (refused.value.translation_domain, refused.value.translation_key) == (
        DOMAIN,
        "nan_value",
    )
    await hass.async_block_till_done()
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == before.state


@pytest.mark.parametrize("value", ["nan", "NaN", "-nan"])
async def test_a_strip_s_numbers_refuse_nan_and_keep_their_value(
    hass: HomeAssistant, agent: RunningAgent, value: str
) -> None:
    planner = await strip_planner(hass, agent, balancing_interval=60)
    budget_w, count = planner.budget_w, planner.max_outlets

    await _refused(hass, BUDGET, value)
    await _refused(hass, "number.coworking_strip_max_outlets_on", value)

    assert (planner.budget_w, planner.max_outlets) == (budget_w, count)


async def test_a_circuit_s_budget_refuses_nan_and_keeps_its_value(
    hass: HomeAssistant, agent: RunningAgent
) -> None:
    circuit = circuit_entry(hass, "Room", 400.0)
    await setup_entries(hass, circuit, strip_entry(hass, agent, circuit=circuit.entry_id))

    await _refused(hass, "number.room_power_budget", "nan")

    assert circuit.runtime_data.limit_w == 400.0


async def test_a_user_s_limit_refuses_nan_and_keeps_the_limit_saved(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    alice = await alice_in_session(hass, mock_config_entry)
    (billing,) = (e for e in hass.config_entries.async_entries(DOMAIN) if is_billing_entry(e))
    await hass.services.async_call(
        NUMBER_DOMAIN,
        SERVICE_SET_VALUE,
        {ATTR_ENTITY_ID: "number.alice_consumption_limit", "value": 2.5},
        blocking=True,
    )

    await _refused(hass, "number.alice_consumption_limit", "nan")

    assert billing.subentries[alice].data[CONF_LIMIT] == 2.5
