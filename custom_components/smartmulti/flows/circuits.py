"""Circuit entries in the flows: which circuits to offer, and a circuit's options flow."""

from __future__ import annotations

from homeassistant.core import HomeAssistant

from ..const import CONF_PARENT
from ..entry_kinds import circuit_entries


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
