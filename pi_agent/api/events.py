"""The event stream: a full snapshot on connect, then only what changed.

Measurements move a little on every sample; pushing each wobble to Home Assistant would flood
its state machine and recorder. Discrete facts (a relay, a fault, the mode) go out on the sample
they change; measurements go out when they move past a deadband, and whatever has drifted is
flushed at least every ``refresh_s`` so energy counters stay current.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
import json
from typing import Any

# Fields that change on every sample by construction; receivers derive them from "time".
VOLATILE = frozenset({"time", "expires_in_s", "age_s", "switch_age_s"})
# Absolute and relative deadbands per measurement field.
DEADBANDS: Mapping[str, tuple[float, float]] = {
    "power_w": (1.0, 0.02),
    "drawn_max_w": (1.0, 0.02),
    "total_power_w": (1.0, 0.02),
    "current_a": (0.01, 0.02),
    "voltage_v": (2.0, 0.01),
    "energy_wh": (1.0, 0.0),
    "total_energy_wh": (1.0, 0.0),
}
QUEUE_SIZE = 256
# Home Assistant needs one stream per strip; a few more allow for a second instance and a
# debugging session. A new stream beyond this ends the oldest, so a reconnecting Home Assistant
# always gets in, and forgotten or hostile streams cannot pile up.
MAX_SUBSCRIBERS = 8


def _moved(key: str, old: Any, new: Any) -> bool:
    band = DEADBANDS.get(key)
    if band is None or not isinstance(old, int | float) or not isinstance(new, int | float):
        return bool(old != new)
    absolute, relative = band
    return abs(new - old) >= max(absolute, relative * abs(old))


def _diff(old: Mapping[str, Any], new: Mapping[str, Any], flush: bool) -> dict[str, Any]:
    changed: dict[str, Any] = {}
    for key, value in new.items():
        if key in VOLATILE or key == "outlets":
            continue
        previous = old.get(key)
        if isinstance(value, dict) and isinstance(previous, dict):
            inner = _diff(previous, value, flush)
            if inner or previous.keys() != value.keys():  # a key gone is a change too
                changed[key] = value  # small nested objects travel whole
        elif (flush and previous != value) or _moved(key, previous, value):
            changed[key] = value
    return changed


class EventHub:
    """Fans snapshots out to subscribers as SSE messages; never blocks the sampling loop."""

    def __init__(self, refresh_s: float = 10.0, max_subscribers: int = MAX_SUBSCRIBERS) -> None:
        self.refresh_s = refresh_s
        self.max_subscribers = max_subscribers
        # Insertion-ordered, so the oldest subscriber is the first key.
        self._subscribers: dict[asyncio.Queue[bytes | None], None] = {}
        self._published: dict[str, Any] = {}
        self._outlets: dict[int, dict[str, Any]] = {}
        self._last_flush = 0.0
        self._seq = 0

    @property
    def has_subscribers(self) -> bool:
        return bool(self._subscribers)

    def subscribe(self, snapshot: Mapping[str, Any]) -> tuple[asyncio.Queue[bytes | None], bytes]:
        """A queue of later messages, and the snapshot message to send first.

        The first subscriber's snapshot becomes the baseline later updates are diffed against;
        while others are connected the baseline stays, since they have only seen updates to it.
        """
        if not self._subscribers:
            self._remember(snapshot)
        while len(self._subscribers) >= self.max_subscribers:
            oldest = next(iter(self._subscribers))
            self._end(oldest)
        queue: asyncio.Queue[bytes | None] = asyncio.Queue(QUEUE_SIZE)
        self._subscribers[queue] = None
        return queue, self._message("snapshot", snapshot)

    def unsubscribe(self, queue: asyncio.Queue[bytes | None]) -> None:
        self._subscribers.pop(queue, None)

    def close(self) -> None:
        """Ends every stream (shutdown)."""
        for queue in list(self._subscribers):
            self._offer(queue, None)
        self._subscribers.clear()

    def publish(self, snapshot: Mapping[str, Any], now: float) -> None:
        """Compare with what subscribers last saw and send the difference, if any."""
        flush = now - self._last_flush >= self.refresh_s
        if flush:
            self._last_flush = now
        update: dict[str, Any] = _diff(self._published, snapshot, flush)
        outlet_updates = []
        for outlet in snapshot["outlets"]:
            changed = _diff(self._outlets.get(outlet["id"], {}), outlet, flush)
            if changed:
                outlet_updates.append({"id": outlet["id"], **changed})
                self._outlets.setdefault(outlet["id"], {}).update(changed)
        self._published.update(update)
        if not update and not outlet_updates:
            return
        if outlet_updates:
            update["outlets"] = outlet_updates
        update["time"] = snapshot["time"]
        message = self._message("update", update)
        for queue in list(self._subscribers):
            self._offer(queue, message)

    def _remember(self, snapshot: Mapping[str, Any]) -> None:
        self._published = {k: v for k, v in snapshot.items() if k != "outlets"}
        self._outlets = {o["id"]: dict(o) for o in snapshot["outlets"]}

    def _offer(self, queue: asyncio.Queue[bytes | None], message: bytes | None) -> None:
        try:
            queue.put_nowait(message)
        except asyncio.QueueFull:
            # A reader this far behind resynchronises from a fresh snapshot on reconnect.
            self._end(queue)

    def _end(self, queue: asyncio.Queue[bytes | None]) -> None:
        """End one stream now: what it had not read yet is dropped."""
        self._subscribers.pop(queue, None)
        while not queue.empty():
            queue.get_nowait()
        queue.put_nowait(None)

    def _message(self, event: str, data: Mapping[str, Any]) -> bytes:
        self._seq += 1
        payload = json.dumps(data, separators=(",", ":"))
        return f"id: {self._seq}\nevent: {event}\ndata: {payload}\n\n".encode()
