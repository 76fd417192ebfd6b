"""Circuit entries in the flows: which circuits to offer, their names, a circuit's options."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import (
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)

from ..compat import vol
from ..const import CONF_CIRCUIT, CONF_MAX_POWER, CONF_PARENT, MAX_CIRCUIT_POWER_W, NO_CIRCUIT
from ..entry_kinds import circuit_entries
from ..names import has_unfit_character
from ..planning.scheduler import async_get_scheduler
from ..selectors import NumberBox

CIRCUIT_NAME_MAX_LENGTH = 64
NEW_CIRCUIT = "new"  # the select option that creates a circuit from a strip's options
MAX_POWER = NumberBox(
    NumberSelectorConfig(
        min=1,
        max=MAX_CIRCUIT_POWER_W,
        step=1,
        unit_of_measurement="W",
        mode=NumberSelectorMode.BOX,
    )
)


def circuit_options(hass: HomeAssistant, *, exclude: str | None = None) -> list[tuple[str, str]]:
    """Circuits a strip or a circuit may be put under: (entry id, title), by title.

    ``exclude`` (a circuit being edited) leaves out that circuit and every circuit below it,
    so no circuit can become its own ancestor.
    """
    circuits = circuit_entries(hass)
    parents = {entry.entry_id: entry.options.get(CONF_PARENT) for entry in circuits}

    def below_excluded(cid: str | None) -> bool:
        seen: set[str] = set()
        while cid is not None and cid not in seen:
            if cid == exclude:
                return True
            seen.add(cid)
            cid = parents.get(cid)
        return False

    return sorted(
        (
            (entry.entry_id, entry.title)
            for entry in circuits
            if exclude is None or not below_excluded(entry.entry_id)
        ),
        key=lambda item: (item[1], item[0]),
    )


def held_circuit(hass: HomeAssistant, circuit_id: str | None) -> tuple[str, str] | None:
    """``circuit_id`` and its title where it is a removed circuit still holding what names it
    (``missing_circuits.py``): a form offers it as the current choice, so that saving another
    field there does not take a strip or circuit off it unawares; only choosing another does."""
    if circuit_id is None:
        return None
    removed = async_get_scheduler(hass).store.removed.get(circuit_id)
    return None if removed is None else (circuit_id, removed.title)


def circuit_selector(
    hass: HomeAssistant,
    *,
    exclude: str | None = None,
    new: bool = False,
    held: tuple[str, str] | None = None,
) -> SelectSelector:
    """The circuits to choose from, "none" (not on a circuit, or top level) and "new"; and
    ``held``, the removed circuit the entry is still on (``held_circuit``)."""
    options = [SelectOptionDict(value=NO_CIRCUIT, label=NO_CIRCUIT)]
    options += [
        SelectOptionDict(value=entry_id, label=title)
        for entry_id, title in circuit_options(hass, exclude=exclude)
    ]
    if held is not None:
        options.append(SelectOptionDict(value=held[0], label=held[1]))
    if new:
        options.append(SelectOptionDict(value=NEW_CIRCUIT, label=NEW_CIRCUIT))
    return SelectSelector(
        SelectSelectorConfig(
            options=options, mode=SelectSelectorMode.DROPDOWN, translation_key=CONF_CIRCUIT
        )
    )


def circuit_option(value: str | None) -> str | None:
    return None if value in (None, NO_CIRCUIT, NEW_CIRCUIT) else value


def circuit_name_error(hass: HomeAssistant, name: str, renaming: str | None = None) -> str | None:
    """Circuit names are what managers tell circuits apart by: non-empty, shown as typed
    and unique."""
    if not 1 <= len(name) <= CIRCUIT_NAME_MAX_LENGTH or has_unfit_character(name):
        return "invalid_name"
    if any(
        title.casefold() == name.casefold() and entry_id != renaming
        for entry_id, title in circuit_options(hass)
    ):
        return "circuit_exists"
    return None


class CircuitOptionsFlow(OptionsFlow):
    """A circuit's rating and the circuit it sits under (never one of its own sub-circuits)."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        return await self.async_step_circuit()

    async def async_step_circuit(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        entry = self.config_entry
        if user_input is not None:
            options: dict[str, Any] = {CONF_MAX_POWER: float(user_input[CONF_MAX_POWER])}
            if parent := circuit_option(user_input.get(CONF_PARENT)):
                options[CONF_PARENT] = parent
            return self.async_create_entry(data=options)
        allowed = {entry_id for entry_id, _ in circuit_options(self.hass, exclude=entry.entry_id)}
        parent = entry.options.get(CONF_PARENT)
        held = None if parent in allowed else held_circuit(self.hass, parent)
        schema = vol.Schema(
            {
                vol.Required(CONF_MAX_POWER, default=entry.options.get(CONF_MAX_POWER)): MAX_POWER,
                vol.Required(
                    CONF_PARENT, default=parent if parent in allowed or held else NO_CIRCUIT
                ): circuit_selector(self.hass, exclude=entry.entry_id, held=held),
            }
        )
        return self.async_show_form(
            step_id="circuit", data_schema=schema, description_placeholders={"name": entry.title}
        )
