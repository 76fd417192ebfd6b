"""Users' totals and limits: the period a limit counts over, its thresholds, and holds.

Each threshold (the warning percent, then 100 %) fires its event once per period. A user who
reached a limit with cut-off holds their outlets off: the ledger publishes that as a hint and
the planner plans the outlet off, so the plan stays the only writer of the relay.

The energy of the current day, week and month are all counted, whichever the limit counts over:
a user who changes their limit's period (on their personal page) finds the new period's energy,
never a count started again from 0 that would let them draw past their limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from ..const import DOMAIN
from .store import stored_datetime
from .users import LimitPeriod, UserConfig, period_start

EVENT_LIMIT_WARNING: Final = f"{DOMAIN}_limit_warning"
EVENT_LIMIT_REACHED: Final = f"{DOMAIN}_limit_reached"
_KINDS: Final = frozenset(LimitPeriod)
# A period starting further ahead than this was not reached by a clock a little fast (an NTP
# step back is seconds) but by one that was wrong (a date typed wrong, a bad real-time clock):
# what it counted was drawn now, and goes on in the period of the corrected clock, which then
# starts again at its own end rather than at the end of the wrong one.
CLOCK_AHEAD: Final = timedelta(hours=1)


@dataclass(slots=True)
class Totals:
    """A user's (or the unassigned) energy and cost, and the limit period's count."""

    energy_wh: float = 0.0
    cost: float = 0.0
    period: str | None = None
    period_start: datetime | None = None
    period_wh: float = 0.0
    warned: bool = False
    reached: bool = False
    # Each kind of period's energy since its start (the limit's own kind included, where
    # ``period_wh`` is the one kept): what a change of the limit's period starts from.
    counts: dict[str, tuple[datetime, float]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "energy_wh": self.energy_wh,
            "cost": self.cost,
            "period": self.period,
            "period_start": None if self.period_start is None else self.period_start.isoformat(),
            "period_wh": self.period_wh,
            "warned": self.warned,
            "reached": self.reached,
            "counts": {
                kind: {"start": start.isoformat(), "wh": wh}
                for kind, (start, wh) in self.counts.items()
            },
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Totals:
        start = data.get("period_start")
        return cls(
            energy_wh=float(data.get("energy_wh", 0.0)),
            cost=float(data.get("cost", 0.0)),
            period=data.get("period"),
            period_start=None if start is None else stored_datetime(start),
            period_wh=float(data.get("period_wh", 0.0)),
            warned=bool(data.get("warned", False)),
            reached=bool(data.get("reached", False)),
            counts={
                kind: (stored_datetime(count["start"]), float(count["wh"]))
                for kind, count in data.get("counts", {}).items()
            },
        )

    def roll(self, user: UserConfig | None, now: datetime) -> bool:
        """Start the user's new limit period when the calendar says so, or the period the user
        now chose; returns whether the period changed.

        Without the user (the billing entry is not loaded) the period it last had goes on. A
        period of another kind starts from what it already counts, and keeps the thresholds
        fired: the caller rearms them for the new limit (``rearm``).
        """
        if user is not None:
            kind = user.limit_period
        else:
            try:
                kind = LimitPeriod(self.period or LimitPeriod.MONTH)
            except ValueError:
                kind = LimitPeriod.MONTH
        still_current = False  # the period counted so far is the current one of its kind
        if self.period in _KINDS and self.period_start is not None:
            self.counts[self.period] = (self.period_start, self.period_wh)
            still_current = not _later(
                period_start(LimitPeriod(self.period), now), self.period_start
            )
        for each in LimitPeriod:
            each_start = period_start(each, now)
            if (count := self.counts.get(each)) is None or _later(each_start, count[0]):
                self.counts[each] = (each_start, 0.0)
            elif count[0] - now > CLOCK_AHEAD:  # counted by a clock that was wrong, ahead
                self.counts[each] = (each_start, count[1])
        start = self.counts[kind][0]
        if self.period == kind and self.period_start == start:
            return False
        if not still_current:  # a new period: its thresholds are ahead
            self.warned, self.reached = False, False
        self.period, self.period_start = kind, start
        self.period_wh = self.counts[kind][1]
        return True

    def add(self, energy_wh: float) -> None:
        """Energy the user drew now (after ``roll``): it counts in every period."""
        self.period_wh += energy_wh
        for kind, (start, wh) in self.counts.items():
            self.counts[kind] = (start, wh + energy_wh)

    def period_wh_now(self, user: UserConfig, now: datetime) -> float:
        """The user's energy in their limit period now (0 when a new one began)."""
        start = period_start(user.limit_period, now)
        if self.period == user.limit_period and self.period_start is not None:
            return 0.0 if _later(start, self.period_start) else self.period_wh
        count = self.counts.get(user.limit_period)
        return count[1] if count is not None and not _later(start, count[0]) else 0.0

    def period_start_now(self, user: UserConfig, now: datetime) -> datetime | None:
        """The start of the period ``period_wh_now`` counts (None before the first count).

        Its sensor's last reset: a count shown from 0 when a new period began, before the next
        ``roll``, shows that period's start with it, or the recorder would take the drop for
        energy drawn negatively.
        """
        if self.period_start is None:
            return None
        start = period_start(user.limit_period, now)
        if self.period == user.limit_period and not _later(start, self.period_start):
            return self.period_start
        count = self.counts.get(user.limit_period)
        return count[0] if count is not None and not _later(start, count[0]) else start

    def rearm(self, user: UserConfig, warning_percent: float) -> None:
        """A new limit: thresholds it puts above the usage can fire again in this period."""
        if user.limit_wh is None:
            self.warned = self.reached = False
            return
        percent = self.period_wh / user.limit_wh * 100.0
        self.warned = self.warned and percent >= warning_percent
        self.reached = self.reached and percent >= 100.0

    def crossed(self, user: UserConfig, warning_percent: float) -> list[Crossing]:
        """The thresholds the period's energy passed since they last fired (marked fired)."""
        if user.limit_wh is None:
            return []
        percent = self.period_wh / user.limit_wh * 100.0
        crossed: list[Crossing] = []
        if not self.warned and percent >= warning_percent:
            self.warned = True
            crossed.append(Crossing(EVENT_LIMIT_WARNING, percent, warning_percent))
        if not self.reached and percent >= 100.0:
            self.reached = True
            crossed.append(Crossing(EVENT_LIMIT_REACHED, percent, 100.0))
        return crossed

    def holds(self, user: UserConfig) -> bool:
        """Whether the user's outlets are held off: a limit with cut-off, reached."""
        return user.cut_off and user.limit_wh is not None and self.reached


def _later(start: datetime, than: datetime) -> bool:
    """Whether a period starting at ``start`` comes after the one starting at ``than``.

    A period is its first local date, in the zone it started in: a time zone changed during a
    day is still in that day (its midnight there is another instant), and a count started
    again then would let the user draw past their limit. A period never goes back to an
    earlier one: a clock set back across a boundary (an NTP correction), or a zone changed to
    one where it is still the day before, is in the period it had reached, whose count and
    thresholds go on (``roll`` moves them to the earlier period when that one started more
    than ``CLOCK_AHEAD`` ahead).
    """
    return start.date() > than.date()


@dataclass(frozen=True, slots=True)
class Crossing:
    """A threshold the user's period energy just passed: the event to fire."""

    event: str
    percent: float
    threshold: float

    def event_data(self, user: UserConfig, totals: Totals, outlets: list[str]) -> dict[str, Any]:
        """The event's data (blueprints and the coworker page read it)."""
        return {
            "user_id": user.id,
            "user": user.name,
            "person": user.person,
            "notify": user.notify,
            "period": user.limit_period.value,
            "period_start": None
            if totals.period_start is None
            else totals.period_start.isoformat(),
            "energy_kwh": round(totals.period_wh / 1000.0, 6),
            "limit_kwh": user.limit_kwh,
            "percent": round(self.percent, 1),
            "threshold": self.threshold,
            "cut_off": user.cut_off,
            "notify_warning": user.notify_warning,
            "outlets": outlets,
        }
