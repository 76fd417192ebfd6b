"""Strips and circuits that name a circuit no longer there: a repair issue per such circuit.

A circuit entry can be deleted while strips still sit on it (their ``circuit`` option) or
circuits under it (their ``parent``). Deleting the entry takes no breaker off the wall, and
Home Assistant cannot know whether the wiring changed too: so until the manager says where
those strips and circuits now are, they stay held by the removed circuit, at its rating, under
its parent as it was (kept in the site's storage, ``planning.circuits.with_removed``). Freeing
them at once could let them draw together well over a breaker that is still there, with
nobody told; holding them costs at worst slower charging until the manager answers the issue.

The issue names them and its fix (``repairs.py``) moves them all to another circuit, or to none; a strip's
own options do too. It is checked when a circuit or strip entry is set up, removed, or its
options change, and withdrawn once nothing names that circuit. A strip naming a circuit never
known here (a configuration restored without the site's storage) cannot be held, as nothing
tells its rating: the issue says so.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .const import CONF_CIRCUIT, CONF_MAX_POWER, CONF_PARENT, DOMAIN
from .entry_kinds import circuit_entries, is_circuit_entry, strip_entries
from .planning.scheduler import async_get_scheduler
from .planning.storage import RemovedCircuit

ISSUE_MISSING_CIRCUIT: Final = "missing_circuit"  # held at the removed circuit's rating
ISSUE_UNKNOWN_CIRCUIT: Final = "unknown_circuit"  # never known here: not held

type Naming = tuple[list[ConfigEntry[Any]], list[ConfigEntry[Any]]]  # strips, circuits


def missing_circuit_issue_id(circuit_id: str) -> str:
    return f"{ISSUE_MISSING_CIRCUIT}_{circuit_id}"


def naming_missing(hass: HomeAssistant, removing: str | None = None) -> dict[str, Naming]:
    """The strips and circuits naming each circuit that has no entry (``removing``: an entry
    being removed, as if gone)."""
    circuits = [entry for entry in circuit_entries(hass) if entry.entry_id != removing]
    existing = {entry.entry_id for entry in circuits}
    naming: dict[str, Naming] = defaultdict(lambda: ([], []))
    for strip in strip_entries(hass):
        cid = strip.options.get(CONF_CIRCUIT)
        if strip.entry_id != removing and cid and cid not in existing:
            naming[cid][0].append(strip)
    for circuit in circuits:
        if (parent := circuit.options.get(CONF_PARENT)) and parent not in existing:
            naming[parent][1].append(circuit)
    return dict(naming)


def names_of(naming: Naming) -> str:
    return ", ".join(sorted(entry.title for entry in (*naming[0], *naming[1])))


async def async_check_missing_circuits(
    hass: HomeAssistant, *, removing: ConfigEntry[Any] | None = None
) -> None:
    """Remember the removed circuits still named (``removing``: a circuit entry being removed,
    as it is now), raise an issue for each, and withdraw the others."""
    scheduler = async_get_scheduler(hass)
    await scheduler.async_load()
    known = dict(scheduler.store.removed)
    if removing is not None and is_circuit_entry(removing):
        parent = removing.options.get(CONF_PARENT)
        known[removing.entry_id] = RemovedCircuit(
            removing.title, float(removing.options.get(CONF_MAX_POWER, 0.0)), parent or None
        )
    naming = naming_missing(hass, None if removing is None else removing.entry_id)
    kept: dict[str, RemovedCircuit] = {}
    wanted = list(naming)
    while wanted:  # and the removed circuits those sit under, as they did
        cid = wanted.pop()
        if cid not in kept and (gone := known.get(cid)) is not None:
            kept[cid] = gone
            if gone.parent is not None:
                wanted.append(gone.parent)
    changed = await scheduler.store.async_set_removed(kept)

    registry = ir.async_get(hass)
    prefix = missing_circuit_issue_id("")
    for domain, issue_id in list(registry.issues):
        if (
            domain == DOMAIN
            and issue_id.startswith(prefix)
            and issue_id[len(prefix) :] not in naming
        ):
            ir.async_delete_issue(hass, DOMAIN, issue_id)
    for cid, named in naming.items():
        gone = kept.get(cid)
        placeholders = {"names": names_of(named), "circuit": cid if gone is None else gone.title}
        if gone is not None:
            placeholders["rating"] = f"{gone.rating_w:g}"
        ir.async_create_issue(
            hass,
            DOMAIN,
            missing_circuit_issue_id(cid),
            is_fixable=True,
            is_persistent=False,
            severity=ir.IssueSeverity.WARNING if gone else ir.IssueSeverity.ERROR,
            translation_key=ISSUE_MISSING_CIRCUIT if gone else ISSUE_UNKNOWN_CIRCUIT,
            translation_placeholders=placeholders,
            data={"circuit_id": cid},
        )
    if changed:  # a circuit is held or let go: the strips' own changes ask for their cycles
        scheduler.async_request_cycle()
