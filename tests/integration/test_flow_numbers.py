"""Numbers typed into the integration's forms that are no numbers: "nan" passes Home Assistant's
number selector (NaN is neither below its minimum nor above its maximum).

Each form must refuse it on the field, as it refuses a number out of its range (the frontend
shows that under the field), and keep what was configured: never a traceback, nor a NaN saved
that would break the entry's next setup (NaN is written to storage as ``null``).
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartmulti.billing.users import (
    CONF_LEAVE_AFTER,
    CONF_LIMIT,
    CONF_PRICE,
    CONF_PRICE_PERCENT,
    CONF_WARNING_PERCENT,
    SUBENTRY_USER,
)
from custom_components.smartmulti.const import (
    CONF_BALANCING_INTERVAL,
    CONF_CIRCUIT,
    CONF_MAX_POWER,
    CONF_PARENT,
    NO_CIRCUIT,
)
from tests.support.agent import RunningAgent

from .billing_support import billing_entry, set_up
from .conftest import circuit_entry

NOT_NUMBERS = ["nan", "NaN", "-nan"]


@pytest.mark.parametrize("typed", NOT_NUMBERS)
async def test_billing_options_refuse_a_price_that_is_no_number(
    hass: HomeAssistant, typed: str
) -> None:
    billing = billing_entry(hass, **{CONF_PRICE: 0.25})
    await set_up(hass, billing)
    result = await hass.config_entries.options.async_init(billing.entry_id)

    answer = {CONF_PRICE: typed, CONF_WARNING_PERCENT: 80, CONF_LEAVE_AFTER: 15}
    with pytest.raises(InvalidData) as refused:
        await hass.config_entries.options.async_configure(result["flow_id"], answer)

    assert CONF_PRICE in refused.value.schema_errors
    assert billing.options == {CONF_PRICE: 0.25}
    assert billing.runtime_data.settings.price == 0.25


@pytest.mark.parametrize(("field", "typed"), [(CONF_LIMIT, "nan"), (CONF_PRICE_PERCENT, "nan")])
async def test_a_new_user_is_refused_a_limit_or_price_that_is_no_number(
    hass: HomeAssistant, field: str, typed: str
) -> None:
    billing = billing_entry(hass)
    await set_up(hass, billing)
    result = await hass.config_entries.subentries.async_init(
        (billing.entry_id, SUBENTRY_USER), context={"source": SOURCE_USER}
    )

    with pytest.raises(InvalidData) as refused:
        await hass.config_entries.subentries.async_configure(
            result["flow_id"], {CONF_NAME: "Alice", field: typed}
        )

    assert field in refused.value.schema_errors
    assert not billing.subentries


async def test_strip_options_refuse_a_balancing_interval_that_is_no_number(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "balancing"}
    )

    with pytest.raises(InvalidData) as refused:
        await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_CIRCUIT: NO_CIRCUIT, CONF_BALANCING_INTERVAL: "nan"}
        )

    assert CONF_BALANCING_INTERVAL in refused.value.schema_errors
    assert mock_config_entry.options == {}
    # The form is still there: the right number is taken.
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_CIRCUIT: NO_CIRCUIT, CONF_BALANCING_INTERVAL: 20}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_circuit_options_refuse_a_maximum_power_that_is_no_number(
    hass: HomeAssistant,
) -> None:
    room = circuit_entry(hass, "Room", 3000.0)
    result = await hass.config_entries.options.async_init(room.entry_id)

    answer: dict[str, Any] = {CONF_MAX_POWER: "nan", CONF_PARENT: NO_CIRCUIT}
    with pytest.raises(InvalidData) as refused:
        await hass.config_entries.options.async_configure(result["flow_id"], answer)

    assert CONF_MAX_POWER in refused.value.schema_errors
    assert room.options == {CONF_MAX_POWER: 3000.0}
