"""The repairs a manager fixes here: the price of a kWh, and stored data kept aside.

The price of a kWh is asked as soon as users and billing exist.

Every cost reads 0 until a price is set, and the billing entry is created by itself with the
first strip, with no form to ask it in. A fixable issue asks instead: it shows under
**Settings → Repairs** from the first minute, with the form, and goes away once the price (or a
price entity) is set, here or in the entry's options.

Stored data that could not be read (``stored_data.py``) stays an issue until the
manager confirms they have seen where it was kept.

Strips and circuits that name a removed circuit are asked where they are now
(``missing_circuits.py``).
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
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)

from .billing.users import CONF_OFFPEAK_PRICE, CONF_PRICE, CONF_PRICE_ENTITY
from .compat import vol
from .const import CONF_CIRCUIT, CONF_PARENT, DOMAIN, NO_CIRCUIT
from .flows.circuits import circuit_option, circuit_options
from .missing_circuits import (
    ISSUE_MISSING_CIRCUIT,
    async_check_missing_circuits,
    names_of,
    naming_missing,
)
from .planning.scheduler import async_get_scheduler
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


class MissingCircuitRepairFlow(RepairsFlow):
    """Where the strips and circuits naming a removed circuit are now: another circuit (for a
    circuit: its parent, never itself or one below it), or none."""

    def __init__(self, circuit_id: str) -> None:
        self.circuit_id = circuit_id

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """The flow starts here with the issue's own data: the form is the next step."""
        return await self.async_step_circuit()

    async def async_step_circuit(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        if (named := naming_missing(self.hass).get(self.circuit_id)) is None:
            return self.async_abort(reason="nothing_names_it")
        strips, circuits = named
        allowed = {cid for cid, _ in circuit_options(self.hass)}
        for circuit in circuits:
            allowed &= {cid for cid, _ in circuit_options(self.hass, exclude=circuit.entry_id)}
        if user_input is not None:
            choice = circuit_option(user_input.get(CONF_CIRCUIT))
            choice = choice if choice in allowed else None
            for entries, key in ((strips, CONF_CIRCUIT), (circuits, CONF_PARENT)):
                for entry in entries:
                    options = {k: v for k, v in entry.options.items() if k != key}
                    if choice is not None:
                        options[key] = choice
                    self.hass.config_entries.async_update_entry(entry, options=options)
            await async_check_missing_circuits(self.hass)
            return self.async_create_entry(data={})
        choices = [SelectOptionDict(value=NO_CIRCUIT, label=NO_CIRCUIT)] + [
            SelectOptionDict(value=cid, label=title)
            for cid, title in circuit_options(self.hass)
            if cid in allowed
        ]
        selector = SelectSelector(
            SelectSelectorConfig(
                options=choices, mode=SelectSelectorMode.DROPDOWN, translation_key=CONF_CIRCUIT
            )
        )
        known = async_get_scheduler(self.hass).store.removed.get(self.circuit_id)
        return self.async_show_form(
            step_id="circuit",
            data_schema=vol.Schema({vol.Required(CONF_CIRCUIT, default=NO_CIRCUIT): selector}),
            description_placeholders={
                "circuit": self.circuit_id if known is None else known.title,
                "names": names_of(named),
            },
        )


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """Home Assistant's entry point for the fix button."""
    if issue_id.startswith(ISSUE_DAMAGED_STORE):
        return ConfirmRepairFlow()
    if issue_id.startswith(ISSUE_MISSING_CIRCUIT):
        return MissingCircuitRepairFlow(str((data or {}).get("circuit_id", "")))
    return PriceRepairFlow(str((data or {}).get("entry_id", "")))
