"""The live ledger's storage: one store, saved at most every 10 s, written at once on shutdown.

Counting, sessions and totals are saved together, so a Home Assistant crash only makes the
ledger count again, on restart, from the counters it last saved: nothing lost, nothing counted
twice. The live ledger (counters, open sessions, totals) is small; closed sessions go to one
store per month (``history``), so a year of sessions is not rewritten every 10 s on the Pi's
SD card.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..const import DOMAIN

STORAGE_KEY: Final = f"{DOMAIN}.ledger"
STORAGE_VERSION: Final = 1
# Energy is saved at most this often; sessions starting or ending are saved at once.
SAVE_DELAY_S: Final = 10.0


def stored_datetime(value: str) -> datetime:
    """A date and time as the ledger's stores hold it (ISO 8601)."""
    parsed = dt_util.parse_datetime(value)
    if parsed is None:
        raise ValueError(f"not a date and time: {value!r}")
    return parsed


class LedgerStore:
    """Saves what ``snapshot`` returns when a save is due, and before Home Assistant stops."""

    def __init__(self, hass: HomeAssistant, snapshot: Callable[[], dict[str, Any]]) -> None:
        self.hass = hass
        self._snapshot = snapshot
        self._store: Store[dict[str, Any]] = Store(hass, STORAGE_VERSION, STORAGE_KEY)
        self._save_handle: asyncio.TimerHandle | None = None
        self._unsub_final_write: CALLBACK_TYPE | None = None
        self._closed = False

    async def async_load(self) -> Any:
        """The stored data as found (None if there is none): ``damage`` reads it."""
        return await self._store.async_load()

    @callback
    def schedule(self, delay: float = SAVE_DELAY_S) -> None:
        """Save within ``delay``; a save already due sooner is not pushed back.

        The ledger is read when the save is due, here in the event loop: the store writes in an
        executor thread, where reading the ledger while the loop changes it is not safe.
        """
        if self._closed:
            return  # a late command's result: the next ledger read what was saved
        due = self.hass.loop.time() + delay
        if self._save_handle is not None and self._save_handle.when() <= due:
            return
        self._cancel()
        self._save_handle = self.hass.loop.call_at(due, self._save_now)
        if self._unsub_final_write is None:
            self._unsub_final_write = self.hass.bus.async_listen_once(
                EVENT_HOMEASSISTANT_FINAL_WRITE, self._async_final_write
            )

    @callback
    def _save_now(self) -> None:
        self._save_handle = None
        data = self._snapshot()
        self._store.async_delay_save(lambda: data)

    @callback
    def _cancel(self) -> bool:
        """Cancel the save due; returns whether one was."""
        if self._save_handle is None:
            return False
        self._save_handle.cancel()
        self._save_handle = None
        return True

    async def _async_final_write(self, _event: Event) -> None:
        """Home Assistant stops: a save still due is written now."""
        self._unsub_final_write = None
        if self._cancel():
            await self._store.async_save(self._snapshot())

    async def async_save(self) -> None:
        """Write the ledger now (a save due is no longer needed)."""
        self._cancel()
        await self._store.async_save(self._snapshot())

    @callback
    def close(self) -> None:
        """The ledger is released: nothing is saved any more (the next ledger loads)."""
        self._cancel()
        if self._unsub_final_write is not None:
            self._unsub_final_write()
            self._unsub_final_write = None
        self._closed = True
