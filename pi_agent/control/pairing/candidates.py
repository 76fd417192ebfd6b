"""Which outlets a pairing run may flip, and what the budget and the stagger let a window switch.

Candidates are balanced outlets with a laptop and no reporter, without a manual command or a
relay fault. "A laptop" is known from the meter (it drew more than ``IDLE_W`` when last on and
settled) or unknown (never seen): an outlet seen empty recently is left out, since flipping it
would only cost budget and stagger. An outlet a run moved, or held by a run that did not pair
(unanswered, cancelled, failed), sits out the next ``COOLDOWN_S``.

How many outlets one window can switch on comes from the strip's admission rule
(``control.admission``), the rule the controller applies when it does the switching, so a
window never plans a switch-on the controller would refuse.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
import math

from pi_agent.config import StripConfig
from pi_agent.control.admission import Admission, fit_count, fits
from pi_agent.control.outlet import IDLE_W, OutletState
from pi_agent.control.pairing.registry import PairedLaptops
from pi_agent.control.pairing.run import (
    COOLDOWN_S,
    MAX_WINDOWS,
    SWITCH_PHASE_S,
    PairingRefusedError,
    PairingRun,
    Room,
)
from pi_agent.control.pairing.search import windows_needed

#: An outlet seen empty is left out of pairing runs for this long (a laptop may arrive).
EMPTY_FOR_S = 600.0


class Candidates:
    """The outlets open to a pairing run, and the relay states of its next window."""

    def __init__(
        self,
        outlets: Mapping[int, OutletState],
        strip: StripConfig,
        *,
        admission: Admission,
        laptops: PairedLaptops,
        stale_after_s: float,
    ) -> None:
        self._outlets = outlets
        self._strip = strip
        self._admission = admission
        self._laptops = laptops
        self._stale_after_s = stale_after_s
        self._cooldown: dict[int, float] = {}
        self._drawing: dict[int, tuple[bool, float]] = {}  # outlet → (drew power, seen at)

    def cool_down(self, outlet_id: int, now: float) -> None:
        """The outlet took part in a run: it sits out the next ``COOLDOWN_S``."""
        self._cooldown[outlet_id] = now + COOLDOWN_S

    def watch_draw(self, now: float) -> None:
        """Note which settled outlets draw power: a laptop is plugged in, or none is."""
        settle = self._strip.settle_s
        for outlet in self._outlets.values():
            if outlet.exception or not outlet.relay_on or now - outlet.last_switch_at < settle:
                continue
            power = outlet.fresh_power(now, self._stale_after_s)
            if power is not None:
                self._drawing[outlet.id] = (power > IDLE_W, now)

    def eligible(self, now: float, *, cooling_too: bool = False) -> list[OutletState]:
        result = []
        for outlet in self._outlets.values():
            if outlet.exception or outlet.relay_fault or outlet.override is not None:
                continue
            if outlet.id in self._laptops:
                continue
            drew = self._drawing.get(outlet.id)
            if drew is not None and not drew[0] and now - drew[1] < EMPTY_FOR_S:
                continue  # seen empty recently
            if not cooling_too and self._cooldown.get(outlet.id, -math.inf) > now:
                continue
            result.append(outlet)
        return result

    def refuse_on_side(
        self, plugged: bool, now: float, room: Room, group: Sequence[int] | None = None
    ) -> None:
        """Raise if a laptop whose flag is ``plugged`` cannot be paired now."""
        side = "on" if plugged else "off"
        eligible = [o for o in self.eligible(now, cooling_too=True) if o.relay_on == plugged]
        cooling = [o for o in eligible if self._cooldown.get(o.id, -math.inf) > now]
        if cooling:
            wait = max(self._cooldown[o.id] for o in cooling) - now
            raise PairingRefusedError(
                "pairing_rate_limited",
                f"an outlet your laptop may be on took part in a pairing less than "
                f"{COOLDOWN_S:g} s ago",
                round(wait, 1),
            )
        candidates = [o for o in eligible if group is None or o.id in group]
        if not candidates:
            raise PairingRefusedError(
                "no_candidates",
                f"no balanced outlet with a laptop and no reporter is {side}: the laptop is on "
                "an exception outlet, an outlet that has a reporter, or another strip",
            )
        if not plugged:
            ids = [o.id for o in candidates]
            pool = group if group is not None else [o.id for o in self.eligible(now)]
            fit = min(self.switch_on_slots(now), self.fit_count(pool, ids, now, room))
            if windows_needed(len(candidates), False, fit) > MAX_WINDOWS:
                raise PairingRefusedError(
                    "pairing_deferred",
                    f"the laptop is not charging and {len(candidates)} outlets are off; the "
                    f"budget lets {fit} of them on per window, so finding it would take more "
                    f"than {MAX_WINDOWS} windows: pair when the laptop is charging",
                    COOLDOWN_S,
                )

    # ------------------------------------------------------------------ the budget of a window

    def switch_on_slots(self, now: float) -> int:
        """Switch-ons the stagger lets into one window's switching phase."""
        return min(len(self._outlets), self._admission.slots(now, SWITCH_PHASE_S))

    def _reserve(self, outlet: OutletState, now: float) -> float:
        return outlet.reserve_w(now, self._stale_after_s, self._strip.settle_s)

    def _free_w(
        self, group: Collection[int], staying_on: Sequence[int], now: float, room: Room
    ) -> float:
        """Budget left for switch-ons once everything outside ``group`` is counted."""
        outside = sum(self._reserve(o, now) for oid, o in self._outlets.items() if oid not in group)
        held = sum(self._reserve(self._outlets[oid], now) for oid in staying_on)
        return room.limit_w - outside - held

    def fit_count(self, pool: Sequence[int], left: Sequence[int], now: float, room: Room) -> int:
        """How many of ``left`` could be on at once with every other outlet of ``pool`` off."""
        group = {*pool, *left}
        free = self._free_w(group, [], now, room)
        costs = []
        for outlet in (self._outlets[oid] for oid in left):
            if not outlet.relay_on and outlet.shed_until > now:
                continue
            costs.append(self._reserve(outlet, now) if outlet.relay_on else outlet.counted_max_w)
        return fit_count(free, costs)

    def targets(
        self,
        run: PairingRun,
        left: Sequence[int],
        *,
        count_on: int,
        on: bool,
        now: float,
        room: Room,
    ) -> dict[int, bool]:
        """Relay states for the next window: ``count_on`` of ``left`` on, the rest off.

        Outlets already ruled out keep their state unless their power is needed for the
        switch-ons. With one outlet left this is the confirmation: it alone flips.
        """
        targets = {oid: self._outlets[oid].relay_on for oid in run.group}
        ordered = sorted(left)
        if on:  # all of ``left`` are on: switch some off
            for oid in ordered[count_on:]:
                targets[oid] = False
            return targets
        count_on = max(count_on, 1) if len(left) == 1 else count_on
        chosen = sorted(
            (o for o in (self._outlets[oid] for oid in ordered) if o.shed_until <= now),
            key=lambda o: (o.counted_max_w, o.id),
        )[:count_on]
        ruled_out = sorted(
            (self._outlets[oid] for oid in run.group if oid not in left and targets[oid]),
            key=lambda o: (-self._reserve(o, now), o.id),
        )
        staying = [oid for oid, t in targets.items() if t]
        free = self._free_w(run.group, staying, now, room)
        needed = sum(o.counted_max_w for o in chosen)
        for outlet in ruled_out:
            if fits(0.0, needed, free):
                break
            targets[outlet.id] = False
            free += self._reserve(outlet, now)
        for outlet in chosen:
            targets[outlet.id] = True
        return targets
