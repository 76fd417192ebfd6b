"""The integration's three kinds of config entries, one predicate and one typed alias each.

- a **strip entry**: one agent (a Raspberry Pi in a strip); its data has no ``kind``; its
  runtime data is ``StripRuntimeData`` (client, coordinator, planner);
- a **circuit entry**: a node of the site's electrical tree (``docs/circuits.md``); its runtime
  data is its ``CircuitPlanner``;
- the **billing entry** ("Users and billing", one per Home Assistant, ``docs/users.md``); its
  runtime data is the ``Ledger``.

At run time this module imports nothing of the integration but its constants, so that any
module may ask an entry's kind; the runtime data types are named for the type checker only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeIs

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant

from .const import CONF_KIND, DOMAIN, KIND_BILLING, KIND_CIRCUIT

if TYPE_CHECKING:
    from .billing.ledger import Ledger
    from .planning.circuits import CircuitPlanner
    from .runtime import StripRuntimeData

type StripConfigEntry = ConfigEntry[StripRuntimeData]
type CircuitConfigEntry = ConfigEntry[CircuitPlanner]
type BillingConfigEntry = ConfigEntry[Ledger]
type SmartMultiConfigEntry = StripConfigEntry | CircuitConfigEntry | BillingConfigEntry


def is_strip_entry(entry: ConfigEntry[Any]) -> TypeIs[StripConfigEntry]:
    """Strip entries are the ones with no ``kind`` in their data."""
    return entry.domain == DOMAIN and CONF_KIND not in entry.data


def is_circuit_entry(entry: ConfigEntry[Any]) -> TypeIs[CircuitConfigEntry]:
    return entry.domain == DOMAIN and entry.data.get(CONF_KIND) == KIND_CIRCUIT


def is_billing_entry(entry: ConfigEntry[Any]) -> TypeIs[BillingConfigEntry]:
    return entry.domain == DOMAIN and entry.data.get(CONF_KIND) == KIND_BILLING


def strip_entries(hass: HomeAssistant) -> list[StripConfigEntry]:
    """Every strip entry, loaded or not (ignored ones left out)."""
    return [
        entry
        for entry in hass.config_entries.async_entries(DOMAIN, include_ignore=False)
        if is_strip_entry(entry)
    ]


def circuit_entries(
    hass: HomeAssistant, *, include_disabled: bool = True
) -> list[CircuitConfigEntry]:
    """Every circuit entry, loaded or not (ignored ones left out)."""
    return [
        entry
        for entry in hass.config_entries.async_entries(
            DOMAIN, include_ignore=False, include_disabled=include_disabled
        )
        if is_circuit_entry(entry)
    ]
