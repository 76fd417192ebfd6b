"""The strip controller: one ``step`` per meter sample decides every relay.

Order inside a step matters for safety: readings and energy first, then the guard (which may
switch off at once), then the slow reconciliation of relays towards what the plan, the failsafe
rotation or a manual command wants, within minimum on/off times, stagger and admission.

A sample's readings are taken in ``readings``, the manager's settings checked in ``settings``,
the plan saved and restored in ``plan``, and the state's JSON is built by ``pi_agent.api.views``.
Over 400 lines on purpose: the step, the guard's shedding and reconciliation share the outlets'
state and their order is the safety argument, so they read best in one file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
import time
from typing import Any, Literal

from pi_agent.config import AgentConfig
from pi_agent.control.admission import Admission, fits, switch_on_w
from pi_agent.control.failsafe import failsafe_targets
from pi_agent.control.guard import (
    MIN_SHED_W,
    Guard,
    choose_shed,
    shed_order_by_draw,
    shed_order_from_priority,
)
from pi_agent.control.outlet import BatteryReport, OutletState, exceptions_max_w
from pi_agent.control.pairing.coordinator import PairingCoordinator
from pi_agent.control.pairing.run import Room
from pi_agent.control.plan import Plan, followed_wall_clock, plan_state, restored_plan
from pi_agent.control.readings import take_readings
from pi_agent.control.settings import (
    outlets_state,
    restore_outlets,
    restore_switch_times,
    update_outlet,
)
from pi_agent.hardware.base import MeterError, Reading, Relay, RelayError

Mode = Literal["planned", "failsafe", "off"]

# After the guard sheds an outlet it stays off this long (at least its minimum off time).
SHED_BACKOFF_S = 60.0


class UnknownOutletError(KeyError):
    """No outlet has this id."""


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
        # The most Home Assistant's last plan allows the failsafe, so that strips sharing a
        # circuit stay within it together when nobody plans them (None: no such bound). Kept
        # when the plan expires or is dropped, and across restarts: the wiring does not change.
        self.failsafe_cap_w: float | None = None
        self.mode: Mode = "failsafe"
        self.budget_w = min(self.strip.hard_limit_w, self.failsafe_budget_w)
        self.limit_w = self.budget_w
        self.total_w = 0.0
        # When the last step ran: the state shows an outlet shed beyond it as waiting.
        self.last_step_at: float | None = None
        self.admission = Admission(self.strip.stagger_s, self.strip.sample_period_s)
        # Strip-wide faults by code (``storage``: the state file cannot be written).
        self.faults: dict[str, str] = {}
        # The counters as last saved. While saves fail, that is what the state shows: a counter
        # shown is then never one a restart could take back (the restart reads the last save).
        self.kept_energy_wh: dict[int, float] = {}
        # The relay operations as last saved: what the state shows of them, always (see
        # ``shown_switches``).
        self.kept_switches: dict[int, int] = {}
        # Twice the sample period: one late sample is tolerated, two are a stale meter.
        self.stale_after_s = 2.0 * self.strip.sample_period_s + 1e-6
        self.pairing = PairingCoordinator(
            self.outlets,
            self.strip,
            room=self._pairing_room,
            admission=self.admission,
            wall_clock=wall_clock,
            stale_after_s=self.stale_after_s,
        )

    # ------------------------------------------------------------------ lookups

    def outlet(self, outlet_id: int) -> OutletState:
        if not 1 <= outlet_id <= len(self.outlets):
            raise UnknownOutletError(outlet_id)
        return self.outlets[outlet_id - 1]

    @property
    def balanced(self) -> list[OutletState]:
        return [o for o in self.outlets if not o.exception]

    def wall_now(self) -> float:
        return self._wall()

    # ------------------------------------------------------------------ commands

    def plan_state(self) -> dict[str, Any] | None:
        """The plan as saved with the counters (``plan.plan_state``)."""
        return plan_state(self.plan)

    def restore_plan(self, saved: Mapping[str, Any], now: float) -> None:
        """Take back a saved plan (``plan.restored_plan``), and the mode it puts us in."""
        self.plan = restored_plan(saved, now, self._wall(), len(self.outlets))
        self.mode = self._mode(now)

    def apply_plan(self, plan: Plan) -> None:
        """Take a validated plan; it acts from the next step."""
        named = (*plan.on, *plan.priority, *plan.looks)
        unknown = [oid for oid in named if not 1 <= oid <= len(self.outlets)]
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
        """A manager's change (``settings.update_outlet``): all of it, or ``SettingsError``."""
        outlet = self.outlet(outlet_id)
        update_outlet(
            self.outlets,
            outlet,
            self.strip.hard_limit_w,
            name=name,
            exception=exception,
            max_power_w=max_power_w,
        )
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
        return exceptions_max_w(self.outlets, excluding=excluding)

    def restore(self, saved: Mapping[int, Mapping[str, Any]]) -> list[str]:
        """Counters and manager settings from the state file (``settings.restore_outlets``);
        what could not be restored."""
        return restore_outlets(self.outlets, saved, self.config)

    def restore_switch_times(self, saved: Mapping[int, Mapping[str, Any]], now: float) -> None:
        """When each relay went off before the restart (``settings.restore_switch_times``)."""
        restore_switch_times(self.outlets, saved, now, self._wall(), self.strip.min_off_s)

    # ------------------------------------------------------------------ the step

    def step(self, now: float, readings: Mapping[int, Reading | MeterError]) -> None:
        """One sample: ``readings`` has an entry per metered outlet (a reading or its error)."""
        dt = 0.0 if self.last_step_at is None else now - self.last_step_at
        self.last_step_at = now
        take_readings(self.outlets, readings, now, dt, self.stale_after_s)

        if self.plan is not None:  # NTP may have stepped the wall clock since the last sample
            self.plan = followed_wall_clock(self.plan, now, self._wall())
        self.mode = self._mode(now)
        self._set_limit(now)
        self._choose_targets(now)
        self._release_empty(now)

        draws = {o.id: o.guard_w(now, self.stale_after_s) for o in self.outlets}
        self.total_w = sum(draws.values())
        if self.guard.must_shed(self.total_w, self.limit_w, now):
            self._shed(now, draws)

        self._reconcile(now)

    @property
    def failsafe_budget_w(self) -> float:
        """The failsafe's budget: the configured one, within the circuit's cap if any."""
        if self.failsafe_cap_w is None:
            return self.strip.failsafe_budget_w
        return min(self.strip.failsafe_budget_w, self.failsafe_cap_w)

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
        budget = self.plan.budget_w if planned and self.plan else self.failsafe_budget_w
        self.budget_w = min(self.strip.hard_limit_w, budget)
        exceptions_w = self.exceptions_draw_w(now)
        self.limit_w = min(self.strip.hard_limit_w, max(self.budget_w, exceptions_w))

    def exceptions_draw_w(self, now: float) -> float:
        """What the exception outlets that are on draw now, as the guard counts it."""
        return sum(
            o.guard_w(now, self.stale_after_s) for o in self.outlets if o.exception and o.relay_on
        )

    def _reserve(self, outlet: OutletState, now: float) -> float:
        return outlet.reserve_w(
            now, self.stale_after_s, self.strip.settle_s, self._expected_w(outlet)
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
                # A look that found the outlet empty is not taken again under the same plan.
                outlet.target_on = outlet.id in plan.on and not outlet.found_empty_since(
                    plan.received_at
                )
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

    def _release_empty(self, now: float) -> None:
        """Under a plan, an outlet found empty goes off at once, and ``found_empty`` tells the
        plan's author. An outlet on only to see whether a laptop is plugged in (the plan's
        ``looks``) that found nothing once its meter settled: with nothing plugged in, the
        minimum on time protects nothing. An outlet whose laptop was unplugged
        (``OutletState.vacated``) when its rating does not fit beside what the others count:
        on, it would hand whoever plugs in next a draw the plan never counted; where it fits,
        it stays open for them. This runs before the guard and admission count the sample, so
        the room goes to the plan's waiting outlets at once.

        An outlet the plan wants off that has read nothing since it went on goes off at once
        too, for the same reason, but unannounced: the plan saw it read nothing, and took its
        room; held on, admission would count it at nothing, and a laptop plugged in there
        meanwhile would draw what nobody counted until the guard cut it."""
        if self.mode != "planned" or self.plan is None:
            return
        looks, settle_s, stale_s = self.plan.looks, self.strip.settle_s, self.stale_after_s
        for outlet in self.outlets:
            if outlet.exception or not outlet.relay_on:
                continue
            looked_empty = outlet.looked_empty(now, stale_s, settle_s)
            vacated = not looked_empty and outlet.vacated(now, stale_s, settle_s)
            if looked_empty or vacated:
                # Nothing is plugged in: what the last laptop drew says nothing of the next.
                outlet.drawn_max_w = 0.0
            # The plan's looks are among its targets: each outlet is read at most once here.
            if not outlet.target_on and looked_empty:
                self._switch(outlet, False, now)
                continue
            empty = outlet.id in looks and looked_empty
            if not empty and vacated:
                others = sum(self._reserve(o, now) for o in self.outlets if o is not outlet)
                empty = not fits(others, outlet.counted_max_w, self.limit_w)
            if empty and self._switch(outlet, False, now):
                outlet.found_empty_at = now
                outlet.target_on = False

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
            cost_w = switch_on_w(outlet.counted_max_w, self._expected_w(outlet))
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
        outlet.switched(on, now, self._wall())
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
            if on != outlet.relay_on:  # saved at exit: its minimum off time outlives the process
                outlet.last_switch_wall = self._wall()
            outlet.set_relay(on)

    # ------------------------------------------------------------------ reporting

    def energy_total_wh(self) -> float:
        return sum(o.energy_wh for o in self.outlets)

    def shown_energy_wh(self, outlet: OutletState) -> float:
        """The counter as shown: the live one, or the saved one while saves fail."""
        if "storage" not in self.faults:
            return outlet.energy_wh
        return min(outlet.energy_wh, self.kept_energy_wh.get(outlet.id, 0.0))

    def shown_switches(self, outlet: OutletState) -> int:
        """The relay operations as shown: never more than the last save holds.

        Energy shows its live counter while saves succeed, since Home Assistant holds its
        sensors at their highest within an epoch; a count has nothing holding it there, so a
        kill between two saves must not take it back: it shows up to one persistence interval
        late instead."""
        return min(outlet.switches, self.kept_switches.get(outlet.id, 0))

    def persistent_state(self) -> dict[int, dict[str, Any]]:
        """What must survive a crash (``settings.outlets_state``)."""
        return outlets_state(self.outlets)
