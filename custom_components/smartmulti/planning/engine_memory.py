"""What the balancing engine learned of the laptops, kept across a restart of Home Assistant.

A fresh engine has measured no laptop: it counts each at its outlet's rating until it sees it
draw, and it has forgotten how long each has waited and how far each is from flat. On the
bench a restart halfway through the day costs 0.020 of the gain ratio on average (0.872 to
0.852 on 400 days, 0.32 on the worst) and takes 6 of them over 4 switches per outlet-hour;
with the memory taken up, every day runs exactly as if never restarted (``python -m
bench.restart``). So the engine's memory (``balancing.persist``) is saved within a minute of
a cycle and at Home Assistant's final write, and taken up at start-up.

Memory older than ``MAX_AGE`` is not taken up: after a long outage laptops left and others
came to outlets nothing watched, and what was learned of the ones before would be counted for
them. The file holds charger and charge figures per outlet, keyed by the strip's serial; no
user or laptop name.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..balancing.persist import EngineState, decode, encode
from ..const import DOMAIN, LOGGER

STORAGE_KEY: Final = f"{DOMAIN}.engine"
STORAGE_VERSION: Final = 1
SAVE_DELAY_S: Final = 60.0
MAX_AGE: Final = timedelta(hours=1)


class EngineMemoryStore:
    """The engine's memory on disk: the last cycle's, written at most every ``SAVE_DELAY_S``."""

    def __init__(self, hass: HomeAssistant) -> None:
        self._store: Store[dict[str, Any]] = Store(hass, STORAGE_VERSION, STORAGE_KEY)
        self._states: Mapping[str, EngineState] = {}
        self._at: datetime | None = None
        self._pending = False  # a write is scheduled: it will take the latest states
        self._loading = asyncio.Lock()
        self._loaded = False

    async def async_load(self, now: datetime) -> tuple[dict[str, EngineState], float] | None:
        """The strips' memories and the seconds since they were taken, the first time only
        (every entry's setup asks); None when there is nothing recent enough to take up (a
        damaged file is logged and left for the next save to replace)."""
        async with self._loading:
            if self._loaded:
                return None
            self._loaded = True
            data = await self._store.async_load()
        return self._taken_up(data, now)

    def _taken_up(self, data: Any, now: datetime) -> tuple[dict[str, EngineState], float] | None:
        if not data:
            return None
        try:
            at, states = _decoded(data)
        except (KeyError, TypeError, AttributeError, ValueError) as err:
            LOGGER.warning(
                "The balancing memory saved by the last run cannot be read (%s): the laptops "
                "are learned afresh",
                err,
            )
            return None
        elapsed = (now - at).total_seconds()
        if not 0.0 <= elapsed <= MAX_AGE.total_seconds():
            LOGGER.debug("Balancing memory from %s not taken up: too old", at)
            return None
        self._states, self._at = states, at
        return states, elapsed

    @property
    def states(self) -> Mapping[str, EngineState]:
        """What the next write holds: the memory of the last cycle remembered, by strip."""
        return self._states

    @callback
    def async_remember(self, states: Mapping[str, EngineState], at: datetime) -> None:
        """The memory after the cycle at ``at``: saved within ``SAVE_DELAY_S``, and when Home
        Assistant stops."""
        self._states, self._at = states, at
        self._schedule()

    @callback
    def async_forget(self, strip_id: str) -> None:
        """A strip removed: its memory leaves the file too."""
        if strip_id in self._states and self._at is not None:
            self._states = {sid: s for sid, s in self._states.items() if sid != strip_id}
            self._schedule()

    @callback
    def _schedule(self) -> None:
        """One write ``SAVE_DELAY_S`` after the first change since the last write: the
        store's delayed save starts its delay again at every call, so with a cycle every
        few seconds it would wait for Home Assistant to stop."""
        if not self._pending:
            self._pending = True
            self._store.async_delay_save(self._data, SAVE_DELAY_S)

    @callback
    def _data(self) -> dict[str, Any]:
        """Encoded when written, not every cycle: the records are immutable."""
        assert self._at is not None
        self._pending = False
        return {
            "at": self._at.isoformat(),
            "strips": {sid: encode(state) for sid, state in self._states.items()},
        }


def _decoded(data: Mapping[str, Any]) -> tuple[datetime, dict[str, EngineState]]:
    at = dt_util.parse_datetime(str(data["at"]))
    if at is None or at.tzinfo is None:
        raise ValueError(f"not a time: {data['at']!r}")
    return at, {str(sid): decode(state) for sid, state in data["strips"].items()}
