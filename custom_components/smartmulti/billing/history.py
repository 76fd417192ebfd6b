"""Ended sessions: one store per month of their start (UTC), kept 13 months, read when billing asks.

A session that ends waits in ``closing`` (saved with the live ledger) until its month's store is
written, so an ended session is never lost nor billed twice, whatever moment Home Assistant stops.

The retention reads the wall clock, which a bad time source can set years ahead. A month store
is removed at most once a day of the event loop's own clock, which no clock setting moves (and
once at each start, when that clock begins again). In use one month falls due a month, so this
never holds back a month really past; a clock wrongly ahead costs at most a month a day until
someone sets it right (it is logged), not 13 months of bills at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..const import DOMAIN, LOGGER
from ..stored_data import StoredData
from .sessions import Session
from .store import STORAGE_VERSION

HISTORY_KEY: Final = f"{DOMAIN}.sessions"  # + "_<year>_<month>" of the sessions' start (UTC)
# Closed sessions are kept this long for billing exports: the month files older are removed.
SESSION_RETENTION_MONTHS: Final = 13
# The event loop's seconds between two removals of a month store.
REMOVAL_INTERVAL_S: Final = 24 * 3600.0


def _month(at: datetime) -> str:
    return f"{at.year:04d}_{at.month:02d}"


def _index(month: str) -> int:
    """A ``_month`` as months since year 0, for the retention's arithmetic."""
    year, number = (int(part) for part in month.split("_"))
    return year * 12 + number - 1


class SessionHistory:
    """Closed sessions by month; ``closing`` holds the ended ones not yet in their month's store.

    ``stored`` is called whenever sessions left ``closing`` (the live ledger is saved then).
    """

    def __init__(
        self,
        hass: HomeAssistant,
        stored: Callable[[], None],
        monotonic: Callable[[], float] | None = None,
    ) -> None:
        self.hass = hass
        # Seconds that no setting of the wall clock moves (the event loop's clock).
        self._monotonic = hass.loop.time if monotonic is None else monotonic
        self._removed_at: float | None = None
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
            stored = StoredData(f"{HISTORY_KEY}_{month}", await self._store(month).async_load())
            sessions = self._loaded[month] = {
                s.id: s for s in stored.sequence("sessions", Session.from_dict)
            }
            await stored.async_keep_damage_aside(self.hass)
        return sessions

    async def async_find_months(self, now: datetime) -> None:
        """The months still kept whose stores hold sessions, when the live ledger that lists
        them was lost or damaged."""
        current = now.year * 12 + now.month - 1
        async with self._lock:
            for number in range(current - SESSION_RETENTION_MONTHS, current + 1):
                month = f"{number // 12:04d}_{number % 12 + 1:02d}"
                if month not in self.months and await self._async_month(month):
                    self.months.add(month)

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
        """Months past the retention are no longer billed: the oldest one's store is removed,
        unless one was removed less than ``REMOVAL_INTERVAL_S`` ago."""
        oldest = now.year * 12 + now.month - 1 - SESSION_RETENTION_MONTHS
        async with self._lock:
            due = [month for month in sorted(self.months) if _index(month) < oldest]
            if not due:
                return
            if len(due) > 1:
                LOGGER.warning(
                    "%d months of billing sessions (%s to %s) are past the %d months kept by "
                    "the clock (%s); one is removed a day. If the clock is wrong, set it right "
                    "and the others stay",
                    len(due),
                    due[0],
                    due[-1],
                    SESSION_RETENTION_MONTHS,
                    now.isoformat(timespec="seconds"),
                )
            at = self._monotonic()
            if self._removed_at is not None and at - self._removed_at < REMOVAL_INTERVAL_S:
                return
            self._removed_at = at
            month = due[0]
            await self._store(month).async_remove()
            self.months.discard(month)
            self._loaded.pop(month, None)
