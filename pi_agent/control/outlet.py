"""What the controller knows about one outlet, and the two ways it counts an outlet's draw."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
import math

from pi_agent.control.admission import counted_w, switch_on_w
from pi_agent.hardware.base import Reading

# Below this an outlet is idle: nothing plugged, or a laptop that is full and asleep.
IDLE_W = 2.0
# A relay commanded off whose meter still shows more than this is stuck (welded contact).
STUCK_W = 5.0


@dataclass(slots=True)
class BatteryReport:
    percent: float
    plugged: bool
    received_at: float  # monotonic clock of the agent
    reported_at: float  # wall clock, for Home Assistant


@dataclass(slots=True)
class OutletState:
    id: int
    name: str
    exception: bool
    max_power_w: float
    has_meter: bool = True
    relay_on: bool = False
    target_on: bool = False
    override: bool | None = None
    last_switch_at: float = -math.inf
    last_switch_wall: float | None = None
    reading: Reading | None = None
    reading_at: float = -math.inf
    meter_fault: str | None = None
    relay_fault: str | None = None
    # Set when the guard had to switch this exception outlet off to hold the hard limit.
    guard_fault: str | None = None
    stuck_since: float | None = None
    energy_wh: float = 0.0
    battery: BatteryReport | None = None
    shed_until: float = -math.inf
    # Set while a pairing holds the outlet: the state it wants, free of minimum on/off times.
    held: bool | None = None
    # A fresh reading at or above IDLE_W since the last switch-on: something is plugged in.
    drew_since_on: bool = False
    # Since when fresh readings of an outlet that drew have stayed under IDLE_W (monotonic):
    # its laptop may have been unplugged. None while it draws, and from each switch.
    idle_since: float | None = None
    # When a plan's look found nothing plugged in and the outlet was switched off at once
    # (monotonic); None again from its next switch-on.
    found_empty_at: float | None = None
    # The most the outlet has drawn, held over two samples in a row while on (a charger's
    # inrush lasts one): an installer's rating below what is really plugged in would otherwise
    # count every switch-on short, and each would take the strip over its limit until the
    # guard cut it. 0 until it draws; back to 0 when the rating is set again, and when the
    # outlet is seen empty (its laptop unplugged, or a look found nothing), so that an open
    # outlet is not counted at a laptop that has left. Kept across restarts.
    drawn_max_w: float = 0.0
    # The last fresh reading while on (None off, or after a fault), for ``drawn_max_w``.
    last_power_w: float | None = None
    # Relay operations (on to off, or off to on) since the strip's counters began, whoever
    # asked: relays wear out by operations. Kept across restarts like the energy counter.
    switches: int = 0

    @property
    def counted_max_w(self) -> float:
        """The most the outlet may draw as the strip counts it: its rating, or more once it
        has drawn more. An exception outlet's rating is what the hard limit was checked
        against when it was made one; a draw above it is a fault the guard cuts, not a size.
        """
        if self.exception:
            return self.max_power_w
        return max(self.max_power_w, self.drawn_max_w)

    def fresh_power(self, now: float, stale_after_s: float) -> float | None:
        """The measured draw if the meter is healthy and recent, else None (unknown)."""
        if self.reading is None or self.meter_fault or now - self.reading_at > stale_after_s:
            return None
        return max(0.0, self.reading.power_w)

    def guard_w(self, now: float, stale_after_s: float) -> float:
        """Draw as the guard counts it: an unknown meter on a live outlet counts at its max.

        A stale meter is treated as maximum load (evcc: a stale meter means no headroom), so a
        broken sensor can only make the strip more cautious, never let it exceed its limit.
        """
        measured = self.fresh_power(now, stale_after_s)
        if not self.relay_on:
            # Off means no draw unless the meter proves otherwise (a welded relay contact).
            return measured if measured is not None and measured > STUCK_W else 0.0
        return self.counted_max_w if measured is None else measured

    def reserve_w(
        self, now: float, stale_after_s: float, settle_s: float, expected_w: float | None = None
    ) -> float:
        """Draw as admission counts it (``admission.counted_w``): an outlet still settling after
        its switch-on counts at least at ``expected_w`` (the plan's estimate), or its max
        (``counted_max_w``); one that drew and now reads idle counts at its max (see
        ``vacated``).

        It settles with its first reading taken ``settle_s`` or more after the switch-on, not
        at that time: a reading from before (a charger still negotiating draws next to
        nothing) would let what waits for its room on beside a draw not yet read."""
        # A reading is never later than ``now``, so this also covers the settling time itself.
        settling = self.relay_on and self.reading_at - self.last_switch_at < settle_s
        counted = counted_w(
            self.guard_w(now, stale_after_s), settling, switch_on_w(self.counted_max_w, expected_w)
        )
        if self.relay_on and self.idle_since is not None:
            # Its laptop may have been unplugged: whoever plugs in next may draw its rating.
            return max(counted, self.counted_max_w)
        return counted

    def switched(self, on: bool, now: float, wall_now: float) -> None:
        """The relay was just switched: a switch-on starts a new look at what is plugged in."""
        self.set_relay(on)
        self.last_switch_at = now
        self.last_switch_wall = wall_now
        self.idle_since = None
        if on:
            self.drew_since_on = False
            self.found_empty_at = None

    def set_relay(self, on: bool) -> None:
        """The relay now is ``on``, as commanded; a command to the state it was in wears
        nothing, so only a change counts in ``switches``."""
        if on != self.relay_on:
            self.switches += 1
        self.relay_on = on

    def looked_empty(self, now: float, stale_after_s: float, settle_s: float) -> bool:
        """On, settled, and nothing plugged in: the look found the outlet empty.

        Only a fresh reading taken ``settle_s`` or more after the switch-on counts (a charger
        still negotiating draws next to nothing), and only if nothing read ``IDLE_W`` since the
        switch-on: an outlet that drew is a laptop, even one that is full by now, and keeps its
        minimum on time. An override or a pairing's hold is someone else's decision.
        """
        settled = self.reading_at - self.last_switch_at >= settle_s
        return settled and not self.drew_since_on and self._reads_idle(now, stale_after_s)

    def vacated(self, now: float, stale_after_s: float, settle_s: float) -> bool:
        """On, it drew, and its fresh readings have stayed under ``IDLE_W`` for ``settle_s``:
        its laptop was unplugged.

        Whoever plugs in next may draw up to the outlet's rating, where the plan counted the
        draw of the laptop that left: admission counts such an outlet at its rating
        (``reserve_w``), and the controller switches it off when that does not fit, rather than
        let a newcomer take the strip over its limit until the guard cuts it. A charger
        renegotiating reads nothing for less than the time one takes to settle after a
        switch-on; a person unplugging one laptop and plugging in another takes longer. A
        laptop asleep and full may read under ``IDLE_W`` too; switched off it loses nothing, and
        the engine already takes such a reading for an empty outlet. An override or a pairing's
        hold is someone else's decision.
        """
        idle = self.idle_since
        return (
            self.drew_since_on
            and idle is not None
            and now - idle >= settle_s
            and self._reads_idle(now, stale_after_s)
        )

    def _reads_idle(self, now: float, stale_after_s: float) -> bool:
        """On under the plan's say (no override, no pairing's hold), with a fresh reading
        under ``IDLE_W``: what both a look found empty and an unplugged laptop read."""
        if not self.relay_on or self.held is not None or self.override is not None:
            return False
        power = self.fresh_power(now, stale_after_s)
        return power is not None and power < IDLE_W

    def found_empty_since(self, at: float) -> bool:
        """A look found the outlet empty at or after ``at`` (a plan's arrival), and nothing has
        switched it on since."""
        return self.found_empty_at is not None and self.found_empty_at >= at

    def can_switch(self, on: bool, now: float, min_on_s: float, min_off_s: float) -> bool:
        """Minimum on/off times protect relays and laptops from flapping."""
        held = now - self.last_switch_at
        return held >= (min_off_s if on else min_on_s)

    @property
    def fault(self) -> str | None:
        return self.relay_fault or self.meter_fault or self.guard_fault


def exceptions_max_w(outlets: Iterable[OutletState], *, excluding: int | None = None) -> float:
    """What the exception outlets may draw together: they are on whatever the budget."""
    return sum(o.max_power_w for o in outlets if o.exception and o.id != excluding)
