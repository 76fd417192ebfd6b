"""What the site keeps across restarts: each strip's most possible draw, closed strips, and
removed circuits that entries still name.

A strip whose entry is not loaded since start-up may still follow the previous run's plan, so
its circuit keeps room for it (``KnownStrip``); a strip shut down stays shut down (``Closing``);
a circuit whose entry was removed while strips or circuits still name it goes on holding them
(``RemovedCircuit``, ``missing_circuits.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from ..const import DOMAIN
from ..stored_data import StoredData
from .plan import Closing

STORAGE_KEY: Final = f"{DOMAIN}.site"
STORAGE_VERSION: Final = 1


@dataclass(frozen=True, slots=True)
class KnownStrip:
    """What a strip may draw with no plan from this Home Assistant (kept in storage)."""

    hard_limit_w: float
    failsafe_w: float  # its failsafe budget, within its hard limit

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KnownStrip:
        return cls(float(data["hard_limit_w"]), float(data["failsafe_w"]))


@dataclass(frozen=True, slots=True)
class RemovedCircuit:
    """A removed circuit entry as it was: what still holds the entries that name it."""

    title: str
    rating_w: float
    parent: str | None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RemovedCircuit:
        parent = data.get("parent")
        return cls(
            str(data["title"]), float(data["rating_w"]), None if parent is None else str(parent)
        )

    def as_dict(self) -> dict[str, Any]:
        return {"title": self.title, "rating_w": self.rating_w, "parent": self.parent}


class SiteStore:
    """The site's storage: loaded once, saved on every change."""

    def __init__(self, hass: HomeAssistant) -> None:
        self._hass = hass
        # Every strip ever planned, by entry id: for those not loaded (yet) after a restart.
        self.known: dict[str, KnownStrip] = {}
        # Strips shut down (by entry id), until resumed: a restart must not open them.
        self.closed: dict[str, Closing] = {}
        # Circuits removed while entries still named them (by entry id), until none does.
        self.removed: dict[str, RemovedCircuit] = {}
        self._store: Store[dict[str, dict[str, dict[str, Any]]]] = Store(
            hass, STORAGE_VERSION, STORAGE_KEY
        )
        self._loading = asyncio.Lock()
        self._loaded = False

    async def async_load(self) -> None:
        """Once, before the first entry plans."""
        async with self._loading:
            if self._loaded:
                return
            stored = StoredData(STORAGE_KEY, await self._store.async_load())
            self.known = stored.mapping("strips", KnownStrip.from_dict)
            self.closed = stored.mapping("closed", Closing.from_dict)
            self.removed = stored.mapping("removed_circuits", RemovedCircuit.from_dict)
            await stored.async_keep_damage_aside(self._hass)
            self._loaded = True

    async def async_remember(self, known: Mapping[str, KnownStrip]) -> None:
        """The strips' figures as of this cycle; saved only when one changed."""
        changed = {
            entry_id: figures
            for entry_id, figures in known.items()
            if self.known.get(entry_id) != figures
        }
        if changed:
            self.known.update(changed)
            await self._async_save()

    async def async_set_closing(self, entry_id: str, closing: Closing | None) -> None:
        """Remember (or forget) that a strip is shut down, saved at once."""
        if closing is None:
            if self.closed.pop(entry_id, None) is None:
                return
        else:
            self.closed[entry_id] = closing
        await self._async_save()

    async def async_forget(self, entry_id: str) -> None:
        """A strip entry was removed."""
        known = self.known.pop(entry_id, None)
        if self.closed.pop(entry_id, None) is not None or known is not None:
            await self._async_save()

    async def async_set_removed(self, removed: Mapping[str, RemovedCircuit]) -> bool:
        """The removed circuits still named, saved when they changed (then True)."""
        if dict(removed) == self.removed:
            return False
        self.removed = dict(removed)
        await self._async_save()
        return True

    async def _async_save(self) -> None:
        await self._store.async_save(
            {
                "strips": {
                    entry_id: {"hard_limit_w": k.hard_limit_w, "failsafe_w": k.failsafe_w}
                    for entry_id, k in self.known.items()
                },
                "closed": {entry_id: c.as_dict() for entry_id, c in self.closed.items()},
                "removed_circuits": {cid: r.as_dict() for cid, r in self.removed.items()},
            }
        )
