"""The strip controller: one ``step`` per meter sample decides every relay.

Order inside a step matters for safety: readings and energy first, then the guard (which may
switch off at once), then the slow reconciliation of relays towards what the plan, the failsafe
rotation or a manual command wants, within minimum on/off times, stagger and admission.

The module is longer than most: the step, the guard's shedding, reconciliation and the views of
the same outlet state read best together, since their order is the safety argument.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
import time
from typing import Any, Literal

from pi_agent.config import AgentConfig
from pi_agent.control.admission import Admission, switch_on_w
from pi_agent.control.failsafe import failsafe_targets
from pi_agent.control.guard import (
    MIN_SHED_W,
    Guard,
    choose_shed,
    shed_order_by_draw,
    shed_order_from_priority,
)
from pi_agent.control.outlet import STUCK_W, BatteryReport, OutletState
from pi_agent.control.pairing.coordinator import PairingCoordinator, Room
from pi_agent.control.plan import Plan
from pi_agent.hardware.base import MeterError, Reading, Relay, RelayError

Mode = Literal["planned", "failsafe", "off"]

# A sample gap longer than this is a stalled process or a clock jump, not energy we measured.
MAX_ENERGY_DT_S = 5.0
# After the guard sheds an outlet it stays off this long (at least its minimum off time).
SHED_BACKOFF_S = 60.0
# A relay commanded off that still shows draw this long is reported stuck.
STUCK_AFTER_S = 2.0


class UnknownOutletError(KeyError):
    """No outlet has this id."""


class SettingsError(ValueError):
    """A setting the strip cannot honour; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class StripController:
    """Owns the relays; everything that switches one goes through here."""

    def __init__(
        self,
        config: AgentConfig,
        relays: Sequence[Relay],
        *,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if len(relays) != len(config.outlets):
            raise ValueError("one relay per configured outlet")
        self.config = config
        self.strip = config.strip
        self._relays = list(relays)
        self._wall = wall_clock
        self.outlets = [
            OutletState(
                id=o.id,
                name=o.name,
                exception=o.exception,
                max_power_w=o.max_power_w,
                has_meter=o.meter.type != "none",
            )
            for o in config.outlets
        ]
        self.guard = Guard(hold_s=self.strip.hold_s, slack_s=0.1 * self.strip.sample_period_s)
        self.plan: Plan | None = None
        self.mode: Mode = "failsafe"
        self.budget_w = min(self.strip.hard_limit_w, self.strip.failsafe_budget_w)
        self.limit_w = self.budget_w
        self.total_w = 0.0
        self._last_step_at: float | None = None
        self.admission = Admission(self.strip.stagger_s, self.strip.sample_period_s)
        # Strip-wide faults by code (``storage``: the state file cannot be written).
        self.faults: dict[str, str] = {}
        # The counters as last saved. While saves fail, that is what the state shows: a counter
        # shown is then never one a restart could take back (the restart reads the last save).
        self.kept_energy_wh: dict[int, float] = {}
        # Twice the sample period: one late sample is tolerated, two are a stale meter.
        self._stale_after_s = 2.0 * self.strip.sample_period_s + 1e-6
        self.pairing = PairingCoordinator(
            self.outlets,
            self.strip,
            room=self._pairing_room,
            admission=self.admission,
            wall_clock=wall_clock,
            stale_after_s=self._stale_after_s,
        )

    # ------------------------------------------------------------------ lookups

    def outlet(self, outlet_id: int) -> OutletState:
        if not 1 <= outlet_id <= len(self.outlets):
            raise UnknownOutletError(outlet_id)
        return self.outlets[outlet_id - 1]

    @property
    def balanced(self) -> list[OutletState]:
        return [o for o in self.outlets if not o.exception]

    # ------------------------------------------------------------------ commands

    def plan_state(self) -> dict[str, Any] | None:
        """The plan as saved with the counters: a closed strip must stay closed after a restart."""
        plan = self.plan
        if plan is None:
            return None
        return {
            "on": sorted(plan.on),
            "priority": list(plan.priority),
            "budget_w": plan.budget_w,
            "ttl_s": plan.ttl_s,
            "received_wall": plan.received_wall,
            "on_expiry": plan.on_expiry,
            "exceptions_on": plan.exceptions_on,
            "reserve_w": {str(k): v for k, v in plan.reserve_w.items()},
        }

    def restore_plan(self, saved: Mapping[str, Any], now: float) -> None:
        """Take back a saved plan; its lease runs on by the wall time the agent was away.

        The monotonic clock restarts with the process, so the lease's age comes from the wall
        clock. A wall clock that went back (a Pi without a real-time clock booting in 1970)
        cannot tell how long the agent was away: the lease counts as expired, which keeps a
        closed strip closed (``on_expiry: off``) and never extends a lease.
        """
        count = len(self.outlets)
        on = [int(o) for o in saved["on"]]
        priority = [int(o) for o in saved["priority"]]
        reserve = {int(k): float(v) for k, v in dict(saved.get("reserve_w", {})).items()}
        if any(not 1 <= oid <= count for oid in (*on, *priority, *reserve)):
            raise ValueError("the saved plan names an outlet this strip does not have")
        on_expiry = saved.get("on_expiry", "failsafe")
        if on_expiry not in ("failsafe", "off"):
            raise ValueError(f"unknown on_expiry {on_expiry!r}")
        ttl = float(saved["ttl_s"])
        received_wall = float(saved["received_wall"])
        elapsed = self._wall() - received_wall
        if not 0 <= elapsed <= ttl:
            elapsed = ttl
        self.plan = Plan(
            on=frozenset(on),
            priority=tuple(priority),
            budget_w=float(saved["budget_w"]),
            ttl_s=ttl,
            received_at=now - elapsed,
            received_wall=received_wall,
            on_expiry=on_expiry,
            exceptions_on=bool(saved.get("exceptions_on", True)),
            reserve_w=reserve,
        )
        self.mode = self._mode(now)

    def apply_plan(self, plan: Plan) -> None:
        """Take a validated plan; it acts from the next step."""
        unknown = [oid for oid in (*plan.on, *plan.priority) if not 1 <= oid <= len(self.outlets)]
        if unknown:
            raise UnknownOutletError(unknown[0])
        self.plan = plan

    def set_override(self, outlet_id: int, on: bool | None) -> OutletState:
        """A manual command: held until cleared with ``None``. It acts at once, without the
        minimum on/off times (they keep automatic switching from flapping a relay, not a person
        from switching it); switching on still waits for admission, the stagger and the guard."""
        outlet = self.outlet(outlet_id)
        outlet.override = on
        return outlet

    def update_outlet(
        self,
        outlet_id: int,
        *,
        name: str | None = None,
        exception: bool | None = None,
        max_power_w: float | None = None,
    ) -> OutletState:
        outlet = self.outlet(outlet_id)
        if max_power_w is not None and max_power_w > self.strip.hard_limit_w:
            raise SettingsError(
                "max_power_w",
                f"{max_power_w:g} W exceeds the strip's hard limit ({self.strip.hard_limit_w:g} W)",
            )
        will_be_exception = outlet.exception if exception is None else exception
        if will_be_exception:
            others = self.exceptions_max_w(excluding=outlet_id)
            own = outlet.max_power_w if max_power_w is None else max_power_w
            if others + own > self.strip.hard_limit_w:
                raise SettingsError(
                    "exception" if exception else "max_power_w",
                    f"exception outlets are always on: with this outlet they may draw "
                    f"{others + own:g} W, more than the strip's hard limit "
                    f"({self.strip.hard_limit_w:g} W)",
                )
        if name is not None:
            outlet.name = name
        if exception is not None:
            outlet.exception = exception
        if max_power_w is not None:
            outlet.max_power_w = max_power_w
        return outlet

    def report_battery(
        self,
        outlet_id: int,
        percent: float,
        plugged: bool,
        now: float,
        *,
        user: str | None = None,
        from_laptop: bool = False,
    ) -> bool:
        """Record a battery report; True asks the reporter to pair again (its laptop moved)."""
        outlet = self.outlet(outlet_id)
        outlet.battery = BatteryReport(percent, plugged, received_at=now, reported_at=self._wall())
        return self.pairing.battery_reported(outlet_id, plugged, user, now, from_laptop=from_laptop)

    def exceptions_max_w(self, *, excluding: int | None = None) -> float:
        """What the exception outlets may draw together: they are on whatever the budget."""
        return sum(o.max_power_w for o in self.outlets if o.exception and o.id != excluding)

    def restore(self, saved: Mapping[int, Mapping[str, Any]]) -> list[str]:
        """Counters and manager settings from the state file, before the first step.

        Returns what could not be restored: a saved setting that no longer fits under the hard
        limit (the configuration changed meanwhile) is dropped rather than let the exception
        outlets alone exceed it.
        """
        dropped: list[str] = []
        for outlet in self.outlets:
            data = saved.get(outlet.id)
            if not data:
                continue
            outlet.energy_wh = max(outlet.energy_wh, float(data.get("energy_wh", 0.0)))
            outlet.name = str(data.get("name", outlet.name))
            max_power = float(data.get("max_power_w", outlet.max_power_w))
            if 0 < max_power <= self.strip.hard_limit_w:
                outlet.max_power_w = max_power
            override = data.get("override")
            outlet.override = override if isinstance(override, bool) else None
        for outlet in self.outlets:
            data = saved.get(outlet.id) or {}
            exception = bool(data.get("exception", outlet.exception))
            if exception == outlet.exception:
                continue
            if exception and (
                self.exceptions_max_w() + outlet.max_power_w > self.strip.hard_limit_w
            ):
                dropped.append(f"outlet {outlet.id}: exception (would exceed the hard limit)")
                continue
            outlet.exception = exception
        if self.exceptions_max_w() > self.strip.hard_limit_w:
            for outlet in reversed(self.outlets):  # configured exceptions that grew too large
                if outlet.exception and self.exceptions_max_w() > self.strip.hard_limit_w:
                    outlet.max_power_w = self.config.outlet(outlet.id).max_power_w
                    dropped.append(
                        f"outlet {outlet.id}: max_power_w (back to the configured value)"
                    )
        return dropped

    # ------------------------------------------------------------------ the step

    def step(self, now: float, readings: Mapping[int, Reading | MeterError]) -> None:
        """One sample: ``readings`` has an entry per metered outlet (a reading or its error)."""
        dt = 0.0 if self._last_step_at is None else now - self._last_step_at
        self._last_step_at = now
        self._take_readings(now, readings, min(max(dt, 0.0), MAX_ENERGY_DT_S))

        self.mode = self._mode(now)
        self._set_limit(now)
        self._choose_targets(now)

        draws = {o.id: o.guard_w(now, self._stale_after_s) for o in self.outlets}
        self.total_w = sum(draws.values())
        if self.guard.must_shed(self.total_w, self.limit_w, now):
            self._shed(now, draws)

        self._reconcile(now)

    def _take_readings(
        self, now: float, readings: Mapping[int, Reading | MeterError], dt: float
    ) -> None:
        for outlet in self.outlets:
            result = readings.get(outlet.id)
            if isinstance(result, Reading):
                outlet.reading = result
                outlet.reading_at = now
                outlet.meter_fault = None
            elif isinstance(result, MeterError):
                outlet.meter_fault = str(result) or "meter error"
            elif outlet.has_meter and now - outlet.reading_at > self._stale_after_s:
                outlet.meter_fault = outlet.meter_fault or "meter stale"
            power = outlet.fresh_power(now, self._stale_after_s)
            if power is not None:
                outlet.energy_wh += power * dt / 3600.0
            self._watch_stuck(outlet, power, now)

    def _watch_stuck(self, outlet: OutletState, power: float | None, now: float) -> None:
        if outlet.relay_on or power is None or power <= STUCK_W:
            outlet.stuck_since = None
            if outlet.relay_fault and outlet.relay_fault.startswith("relay stuck"):
                outlet.relay_fault = None
            return
        if outlet.stuck_since is None:
            outlet.stuck_since = now
        elif now - outlet.stuck_since >= STUCK_AFTER_S:
            outlet.relay_fault = f"relay stuck on: {power:.0f} W measured while off"

    def _mode(self, now: float) -> Mode:
        if self.plan is None:
            return "failsafe"
        if now < self.plan.expires_at:
            return "planned"
        return "off" if self.plan.on_expiry == "off" else "failsafe"

    def _set_limit(self, now: float) -> None:
        """The limit of this sample: the budget, raised to what the exception outlets draw.

        Exception outlets (a lamp, a screen) stay on whatever the budget, so a budget below
        their draw cannot be met by switching balanced outlets: it is clamped to their draw
        (``limit_clamped`` in the state), never past the hard limit, and balanced outlets get
        nothing. Only the hard limit may cost an exception outlet its power (see ``_shed``).
        """
        planned = self.mode == "planned" and self.plan is not None
        budget = self.plan.budget_w if planned and self.plan else self.strip.failsafe_budget_w
        self.budget_w = min(self.strip.hard_limit_w, budget)
        exceptions_w = self.exceptions_draw_w(now)
        self.limit_w = min(self.strip.hard_limit_w, max(self.budget_w, exceptions_w))

    def exceptions_draw_w(self, now: float) -> float:
        """What the exception outlets that are on draw now, as the guard counts it."""
        return sum(
            o.guard_w(now, self._stale_after_s) for o in self.outlets if o.exception and o.relay_on
        )

    def _reserve(self, outlet: OutletState, now: float) -> float:
        return outlet.reserve_w(
            now, self._stale_after_s, self.strip.settle_s, self._expected_w(outlet)
        )

    def _expected_w(self, outlet: OutletState) -> float | None:
        """The plan's estimate of what the outlet draws once on, if it gives one."""
        plan = self.plan if self.mode == "planned" else None
        return plan.reserve_w.get(outlet.id) if plan is not None else None

    def _may_switch_on(self, outlet: OutletState, now: float) -> bool:
        """Minimum times keep automatic decisions from wearing the relay; a person's "on" (an
        override) does not wait for them, but still waits for a guard's back-off, the stagger
        and admission under the limit."""
        return now >= outlet.shed_until and (
            outlet.held is not None
            or outlet.override is True
            or outlet.can_switch(True, now, *self._min_times)
        )

    def _pairing_room(self, now: float) -> Room:
        return Room(limit_w=self.limit_w, closed=self.mode == "off")

    @property
    def _min_times(self) -> tuple[float, float]:
        return self.strip.min_on_s, self.strip.min_off_s

    def _choose_targets(self, now: float) -> None:
        self.pairing.tick(now)
        plan = self.plan if self.mode in ("planned", "off") else None
        exceptions_on = plan.exceptions_on if plan is not None else True
        rotating: list[OutletState] = []
        fixed: list[OutletState] = []
        for outlet in self.outlets:
            if outlet.exception:
                outlet.target_on = exceptions_on
            elif outlet.held is not None:
                outlet.target_on = outlet.held
            elif outlet.override is not None:
                outlet.target_on = outlet.override
            elif self.mode == "planned" and plan is not None:
                outlet.target_on = outlet.id in plan.on
            elif self.mode == "off":
                outlet.target_on = False
            else:
                rotating.append(outlet)
                continue
            fixed.append(outlet)
        if not rotating:
            return
        fixed_w = sum(self._reserve(o, now) for o in fixed)
        chosen = failsafe_targets(
            now,
            rotating,
            headroom_w=self.limit_w - fixed_w,
            rotation_s=self.strip.failsafe_rotation_s,
            reserve_w=lambda o: self._reserve(o, now),
            may_switch_on=lambda o: self._may_switch_on(o, now),
        )
        for outlet in rotating:
            outlet.target_on = outlet.id in chosen

    def _shed(self, now: float, draws: Mapping[int, float]) -> None:
        live = {o.id: draws[o.id] for o in self.outlets if not o.exception and o.relay_on}
        if self.mode == "planned" and self.plan is not None:
            order = shed_order_from_priority(self.plan.priority)
        else:
            order = shed_order_by_draw(live)
        excess = self.total_w - self.limit_w
        # Outlets already wanted off (a new plan dropped them; only their minimum on time held
        # them) go first: cutting them brings the plan forward, it is not a trip, and they need
        # no back-off beyond their minimum off time.
        wanted_off = [o for o in live if not self.outlet(o).target_on]
        for oid in sorted(wanted_off, key=lambda o: -live[o]):  # fewest cut short first
            if excess <= 0:
                break
            if live[oid] >= MIN_SHED_W and self._switch(self.outlet(oid), False, now):
                self.total_w -= live[oid]
                excess -= live.pop(oid)
        shed = False
        # A relay that refuses to switch frees nothing: go on down the order until enough is.
        while excess > 0 and live:
            candidates = choose_shed(live, order, excess)
            if not candidates:
                break
            for oid in candidates:
                draw = live.pop(oid)
                outlet = self.outlet(oid)
                if self._switch(outlet, False, now):
                    outlet.shed_until = now + max(SHED_BACKOFF_S, self.strip.min_off_s)
                    self.total_w -= draw
                    excess -= draw
                    shed = True
        if self.total_w > self.strip.hard_limit_w:
            shed |= self._shed_exceptions(now, draws)
        if shed:
            self.guard.record_trip(now)

    def _shed_exceptions(self, now: float, draws: Mapping[int, float]) -> bool:
        """The very last resort: every balanced outlet is off and the strip is still over its
        hard limit (a lamp failing short, a meter gone stale on a big load). The hard limit is
        the wiring's rating, so exception outlets go too, the largest draw first, each shown
        with a fault until it is back on."""
        live = {o.id: draws[o.id] for o in self.outlets if o.exception and o.relay_on}
        shed = False
        for oid in shed_order_by_draw(live):
            if self.total_w <= self.strip.hard_limit_w:
                break
            outlet = self.outlet(oid)
            if live[oid] >= MIN_SHED_W and self._switch(outlet, False, now):
                outlet.guard_fault = (
                    f"shed: the strip drew {self.total_w:.0f} W, over its hard limit "
                    f"({self.strip.hard_limit_w:g} W)"
                )
                outlet.shed_until = now + max(SHED_BACKOFF_S, self.strip.min_off_s)
                self.total_w -= live[oid]
                shed = True
        return shed

    def _reconcile(self, now: float) -> None:
        for outlet in self.outlets:
            if (
                outlet.relay_on
                and not outlet.target_on
                and (
                    outlet.exception
                    or outlet.held is not None
                    or outlet.override is False  # a person's "off" acts at once
                    or outlet.can_switch(False, now, *self._min_times)
                )
            ):
                self._switch(outlet, False, now)
        pending = self._switch_on_order(now)
        if not pending:  # the usual sample: nothing waits, so admission has nothing to count
            return
        reserved = sum(self._reserve(o, now) for o in self.outlets)
        for outlet in pending:
            if not self.admission.ready(now):
                return
            cost_w = switch_on_w(outlet.max_power_w, self._expected_w(outlet))
            # Exception outlets are on whatever the budget (it is clamped to their draw), but
            # never past the hard limit; everything else fits under this sample's limit.
            limit = self.strip.hard_limit_w if outlet.exception else self.limit_w
            if not self.admission.admit(now, reserved, cost_w, limit):
                continue
            if self._switch(outlet, True, now):
                self.admission.switched_on(now)
                reserved += cost_w
                outlet.guard_fault = None

    def _switch_on_order(self, now: float) -> list[OutletState]:
        """What waits to go on, in the order admission takes it: exception outlets first."""
        exceptions = [
            o
            for o in self.outlets
            if o.exception and o.target_on and not o.relay_on and now >= o.shed_until
        ]
        pending = [
            o
            for o in self.outlets
            if not o.exception and o.target_on and not o.relay_on and self._may_switch_on(o, now)
        ]
        if self.pairing.switching:  # its window needs the budget and the stagger meanwhile
            pending = [o for o in pending if o.held is not None]
        if self.mode == "planned" and self.plan is not None:
            rank = {oid: i for i, oid in enumerate(self.plan.priority)}
            pending.sort(key=lambda o: (o.override is None, rank.get(o.id, 99), o.id))
        else:
            pending.sort(key=lambda o: (o.override is None, o.last_switch_at, o.id))
        return exceptions + pending

    def _switch(self, outlet: OutletState, on: bool, now: float) -> bool:
        try:
            self._relays[outlet.id - 1].set(on)
        except RelayError as err:
            outlet.relay_fault = f"relay: {err}"
            return False
        if outlet.relay_fault and not outlet.relay_fault.startswith("relay stuck"):
            outlet.relay_fault = None
        outlet.relay_on = on
        outlet.last_switch_at = now
        outlet.last_switch_wall = self._wall()
        return True

    # ------------------------------------------------------------------ shutdown

    def to_safe_state(self) -> None:
        """Relays as configured for exit: everything off, or only the exception outlets on."""
        keep_exceptions = self.strip.safe_state == "exceptions_on"
        for outlet in self.outlets:
            on = outlet.exception and keep_exceptions
            try:
                self._relays[outlet.id - 1].set(on)
            except RelayError:
                continue  # nothing more can be done for this one; go on with the others
            outlet.relay_on = on

    # ------------------------------------------------------------------ reporting

    def energy_total_wh(self) -> float:
        return sum(o.energy_wh for o in self.outlets)

    def shown_energy_wh(self, outlet: OutletState) -> float:
        """The counter as shown: the live one, or the saved one while saves fail."""
        if "storage" not in self.faults:
            return outlet.energy_wh
        return min(outlet.energy_wh, self.kept_energy_wh.get(outlet.id, 0.0))

    def persistent_state(self) -> dict[int, dict[str, Any]]:
        """What must survive a crash: counters, and the manager's settings and overrides."""
        return {
            o.id: {
                "energy_wh": o.energy_wh,
                "name": o.name,
                "exception": o.exception,
                "max_power_w": o.max_power_w,
                "override": o.override,
            }
            for o in self.outlets
        }

    def outlet_state_name(self, outlet: OutletState) -> str:
        if outlet.fault:
            return "fault"
        if outlet.exception:
            return "exception" if outlet.relay_on else "off"
        if outlet.relay_on:
            return "on"
        shed = self._last_step_at is not None and outlet.shed_until > self._last_step_at
        return "waiting" if outlet.target_on or shed else "off"

    def outlet_view(self, outlet: OutletState, now: float) -> dict[str, Any]:
        reading = (
            outlet.reading if outlet.fresh_power(now, self._stale_after_s) is not None else None
        )
        battery = outlet.battery
        return {
            "id": outlet.id,
            "name": outlet.name,
            "exception": outlet.exception,
            "max_power_w": outlet.max_power_w,
            "relay": outlet.relay_on,
            "target": outlet.target_on,
            "override": outlet.override,
            "power_w": round(reading.power_w, 2) if reading and outlet.relay_on else 0.0,
            "current_a": round(reading.current_a, 4) if reading and outlet.relay_on else 0.0,
            "voltage_v": round(reading.voltage_v, 2) if reading else None,
            "energy_wh": round(self.shown_energy_wh(outlet), 6),
            "battery": None
            if battery is None
            else {
                "percent": battery.percent,
                "plugged": battery.plugged,
                "age_s": round(now - battery.received_at, 1),
                "reported_at": battery.reported_at,
            },
            "fault": outlet.fault,
            "state": self.outlet_state_name(outlet),
            "last_switch_at": outlet.last_switch_wall,
            "switch_age_s": None
            if outlet.last_switch_wall is None
            else round(now - outlet.last_switch_at, 1),
            "paired": self.pairing.paired_view(outlet.id),
            "in_pairing": self.pairing.in_pairing(outlet.id),
        }

    def snapshot(self, now: float) -> dict[str, Any]:
        plan = self.plan
        outlets = [self.outlet_view(o, now) for o in self.outlets]
        latest = self.pairing.latest()
        return {
            "time": self._wall(),
            "mode": self.mode,
            "hard_limit_w": self.strip.hard_limit_w,
            "failsafe_budget_w": self.strip.failsafe_budget_w,
            "budget_w": self.budget_w,
            "limit_w": self.limit_w,
            "limit_clamped": self.limit_w > self.budget_w,
            "total_power_w": round(sum(o["power_w"] for o in outlets), 2),
            "total_energy_wh": round(sum(self.shown_energy_wh(o) for o in self.outlets), 6),
            "faults": dict(self.faults),
            "min_on_s": self.strip.min_on_s,
            "min_off_s": self.strip.min_off_s,
            "guard": {
                "trips": self.guard.trips,
                "over_limit": self.guard.over_since is not None,
            },
            "plan": None
            if plan is None
            else {
                "on": sorted(plan.on),
                "priority": list(plan.priority),
                "budget_w": plan.budget_w,
                "ttl_s": plan.ttl_s,
                "on_expiry": plan.on_expiry,
                "exceptions_on": plan.exceptions_on,
                "reserve_w": {str(k): v for k, v in sorted(plan.reserve_w.items())},
                "expires_at": plan.received_wall + plan.ttl_s,
                "expires_in_s": round(max(0.0, plan.expires_at - now), 1),
            },
            "pairing": None if latest is None else self.pairing.view(latest),
            "outlets": outlets,
        }
