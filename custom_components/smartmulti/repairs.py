"""The repairs a manager fixes here: the price of a kWh, and stored data kept aside.

The price of a kWh is asked as soon as users and billing exist.

Every cost reads 0 until a price is set, and the billing entry is created by itself with the
first strip, with no form to ask it in. A fixable issue asks instead: it shows under
**Settings → Repairs** from the first minute, with the form, and goes away once the price (or a
price entity) is set, here or in the entry's options.

Stored data that could not be read (``stored_data.py``) stays an issue until the
manager confirms they have seen where it was kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.selector import (
    NumberSelectorConfig,
    NumberSelectorMode,
)

from .billing.users import CONF_OFFPEAK_PRICE, CONF_PRICE, CONF_PRICE_ENTITY
from .compat import vol
from .const import DOMAIN
from .selectors import NumberBox
from .stored_data import ISSUE_DAMAGED_STORE

if TYPE_CHECKING:  # the current name of a repair flow's result, for types only
    from homeassistant.components.repairs import RepairsFlowResult

ISSUE_PRICE = "billing_price"


def _price_box() -> NumberBox:
    return NumberBox(NumberSelectorConfig(min=0, max=100, step="any", mode=NumberSelectorMode.BOX))


@callback
def async_check_price(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
    """Ask for the price while the billing entry has none."""
    if CONF_PRICE in entry.options or CONF_PRICE_ENTITY in entry.options:
        ir.async_delete_issue(hass, DOMAIN, ISSUE_PRICE)
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        ISSUE_PRICE,
        is_fixable=True,
        is_persistent=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_PRICE,
        translation_placeholders={"currency": hass.config.currency},
        data={"entry_id": entry.entry_id},
    )


@callback
def async_forget_price(hass: HomeAssistant) -> None:
    """No billing entry, no price to ask for."""
    ir.async_delete_issue(hass, DOMAIN, ISSUE_PRICE)


class PriceRepairFlow(RepairsFlow):
    """The price (and an optional off-peak price) of a kWh, in Home Assistant's currency."""

    def __init__(self, entry_id: str) -> None:
        self.entry_id = entry_id

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """The flow starts here with the issue's own data: the form is the next step."""
        return await self.async_step_price()

    async def async_step_price(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        entry = self.hass.config_entries.async_get_entry(self.entry_id)
        if entry is None:
            return self.async_abort(reason="billing_not_loaded")
        if user_input is not None:
            prices = {
                key: float(value)
                for key, value in user_input.items()
                if key in (CONF_PRICE, CONF_OFFPEAK_PRICE) and value is not None
            }
            # The entry's update listener applies the prices and withdraws this issue.
            self.hass.config_entries.async_update_entry(entry, options={**entry.options, **prices})
            return self.async_create_entry(data={})
        schema = vol.Schema(
            {
                vol.Required(CONF_PRICE): _price_box(),
                vol.Optional(CONF_OFFPEAK_PRICE): _price_box(),
            }
        )
        return self.async_show_form(
            step_id="price",
            data_schema=schema,
            description_placeholders={"currency": self.hass.config.currency},
        )


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """Home Assistant's entry point for the fix button."""
    if issue_id.startswith(ISSUE_DAMAGED_STORE):
        return ConfirmRepairFlow()
    return PriceRepairFlow(str((data or {}).get("entry_id", "")))
