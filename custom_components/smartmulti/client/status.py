"""Full or charging: the status Home Assistant derives over time from the agent's outlets.

An outlet the agent reports idle for ``FULL_AFTER`` holds a full laptop (or nothing); a charger
negotiating or pausing briefly is not "full". The agent knows the draw, Home Assistant the time.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from ..const import FULL_AFTER
from .models import Outlet, OutletStatus, StripState, derive_status


class IdleTracker:
    """Remembers since when each outlet has been idle, to tell a charging laptop from a full one.

    ``apply`` returns the state with each outlet's status derived at ``now``, and when the next
    outlet will turn full if nothing changes (the caller sets a timer for it).
    """

    def __init__(self) -> None:
        self._since: dict[int, datetime] = {}

    def apply(self, state: StripState, now: datetime) -> tuple[StripState, datetime | None]:
        outlets: dict[int, Outlet] = {}
        next_due: datetime | None = None
        for outlet_id, outlet in state.outlets.items():
            since: datetime | None = None
            if outlet.idle:
                since = self._since.setdefault(outlet_id, now)
            else:
                self._since.pop(outlet_id, None)
            status = derive_status(outlet, idle_since=since, now=now)
            if since is not None and status is OutletStatus.CHARGING:
                due = since + FULL_AFTER
                next_due = due if next_due is None else min(next_due, due)
            outlets[outlet_id] = (
                outlet if status is outlet.status else replace(outlet, status=status)
            )
        return replace(state, outlets=outlets), next_due
