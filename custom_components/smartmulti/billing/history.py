"""Ended sessions: one store per month of their start (UTC), kept 13 months, read when billing asks.

A session that ends waits in ``closing`` (saved with the live ledger) until its month's store is
written, so an ended session is never lost nor billed twice, whatever moment Home Assistant stops.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..const import DOMAIN
from .sessions import Session
from .store import STORAGE_VERSION

HISTORY_KEY: Final = f"{DOMAIN}.sessions"  # + "_<year>_<month>" of the sessions' start (UTC)
# Closed sessions are kept this long for billing exports: the month files older are removed.
SESSION_RETENTION_MONTHS: Final = 13


def _month(at: datetime) -> str:
    return f"{at.year:04d}_{at.month:02d}"


class SessionHistory:
    """Closed sessions by month; ``closing`` holds the ended ones not yet in their month's store.

    ``stored`` is called whenever sessions left ``closing`` (the live ledger is saved then).
    """

    def __init__(self, hass: HomeAssistant, stored: Callable[[], None]) -> None:
        self.hass = hass
        self.months: set[str] = set()  # the months stored (kept in the live ledger)
        self.closing: dict[str, Session] = {}  # ended, not yet in their month's store
        self._stored = stored
        self._stores: dict[str, Store[dict[str, Any]]] = {}
        self._loaded: dict[str, dict[str, Session]] = {}
        self._lock = asyncio.Lock()
        self._archiving: asyncio.Task[None] | None = None
        self._pruned_on: str | None = None

    def _store(self, month: str) -> Store[dict[str, Any]]:
        if (store := self._stores.get(month)) is None:
            store = self._stores[month] = Store(
                self.hass, STORAGE_VERSION, f"{HISTORY_KEY}_{month}"
            )
        return store

    async def _async_month(self, month: str) -> dict[str, Session]:
        if (sessions := self._loaded.get(month)) is None:
            data = await self._store(month).async_load() or {}
            sessions = self._loaded[month] = {
                s["id"]: Session.from_dict(s) for s in data.get("sessions", [])
            }
        return sessions

    @callback
    def archive(self, sessions: Iterable[Session]) -> None:
        """Ended sessions go to their month's store soon, then leave ``closing``."""
        self.closing.update((session.id, session) for session in sessions)
        if self.closing and self._archiving is None:
            self._archiving = self.hass.async_create_task(
                self._async_archive(), f"{DOMAIN} session history", eager_start=False
            )

    async def _async_archive(self) -> None:
        try:
            while self.closing:
                batch = list(self.closing.values())
                await self.async_add(batch)
                for session in batch:
                    self.closing.pop(session.id, None)
                self._stored()
        finally:
            self._archiving = None

    async def async_wait(self) -> None:
        """Until the sessions ended so far are stored."""
        if self._archiving is not None:
            await self._archiving

    async def async_add(self, sessions: Iterable[Session]) -> None:
        """Store closed sessions (again: a session stored twice is stored once)."""
        async with self._lock:
            by_month: dict[str, list[Session]] = {}
            for session in sessions:
                by_month.setdefault(_month(session.started_at), []).append(session)
            for month, closed in by_month.items():
                stored = await self._async_month(month)
                stored.update((session.id, session) for session in closed)
                self.months.add(month)
                await self._store(month).async_save(
                    {"sessions": [session.as_dict() for session in stored.values()]}
                )

    async def async_between(self, start: datetime, end: datetime) -> list[Session]:
        """Ended sessions that started in [start, end), stored or not yet."""
        async with self._lock:
            found: dict[str, Session] = {}
            for month in sorted(self.months):
                if _month(start) <= month <= _month(end):
                    found.update(
                        (s.id, s)
                        for s in (await self._async_month(month)).values()
                        if start <= s.started_at < end
                    )
        found.update((s.id, s) for s in self.closing.values() if start <= s.started_at < end)
        return list(found.values())

    @callback
    def prune_daily(self, now: datetime) -> None:
        """Once a day, the months of sessions past the retention go."""
        today = dt_util.as_local(now).date().isoformat()
        if self._pruned_on == today or not self.months:
            return
        self._pruned_on = today

        async def prune() -> None:
            await self.async_prune(now)
            self._stored()

        self.hass.async_create_task(prune(), f"{DOMAIN} session history pruning", eager_start=False)

    async def async_prune(self, now: datetime) -> None:
        """Months past the retention are no longer billed: their stores are removed."""
        oldest = now.year * 12 + now.month - 1 - SESSION_RETENTION_MONTHS
        async with self._lock:
            for month in sorted(self.months):
                year, number = (int(part) for part in month.split("_"))
                if year * 12 + number - 1 < oldest:
                    await self._store(month).async_remove()
                    self.months.discard(month)
                    self._loaded.pop(month, None)
