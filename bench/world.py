"""The simulated strip: laptops (the agent's physics), the agent's switching rules, metrics.

Every algorithm runs through the same agent model, so none is credited with switching the
real agent would refuse: a plan that switches an outlet off before its minimum on time (or on
before its minimum off time) waits; a switch-on is admitted and staggered by the agent's own
rule (``pi_agent.control.admission``: the counted draw, measured for settled outlets and the
plan's reserve or else the outlet's maximum for ones switched on this step, plus the outlet's
own must fit the limit; the maximum is the rating, or what the outlet has drawn once that is
more, ``OutletState.counted_max_w``), and once its meter has settled it counts at what it reads, so what
waits for that room is admitted in the same step, as the agent does at every sample; and the
guard sheds from the end of the plan's priority when the draw exceeds the limit, after its
hold; a plan naming an outlet the agent would refuse (``pi_agent.control.plan.refused_outlet``)
is counted (``Outcome.refused_plans``) and the last one kept, as the agent answers 422 and
keeps its plan; an outlet whose laptop left while it was on counts at its rating, or goes off where
that does not fit (``StripWorld._vacate``). World steps are ``step_s`` long and the algorithm
is asked once per step; a switch-on the stagger would make at the step's end or later waits
for the next step, so a step may be shorter than a whole strip's switch-ons (the product's
10 s cycle).

The engine's input is built by ``balancing.facts``, the construction Home Assistant uses,
from what a real strip would hold (``bench.knowledge``): the agent's relays, meters and
configured ratings, battery reports as reporters and Home Assistant sensors deliver them, and
users' usual departures while their session is open.

Over 400 lines on purpose: like the agent's ``StripController.step``, a world step's rules
(outlets left empty, switch-offs, admission, looks released, settling, the guard) share the
relays' state, and their order is what the model claims of the agent's sample, so they read
best in one file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
import time
from typing import Any, Protocol

from balancing import StripInput, StripPlan

from pi_agent.control.admission import Admission, counted_w, fits, switch_on_w
from pi_agent.control.outlet import IDLE_W
from pi_agent.control.plan import refused_outlet
from pi_agent.sim.physics import SECONDS_PER_HOUR, step

from .knowledge import Knowledge
from .scenario import Device, Scenario

MIN_ON_S = 60.0
MIN_OFF_S = 30.0
STAGGER_S = 0.5
# The agent's samples as the bench models them: switch-ons land one stagger apart.
SAMPLE_PERIOD_S = STAGGER_S
GUARD_HOLD_S = 2.0
# A look reads nothing once the agent's meter has settled (its ``settle_s``) and been sampled.
LOOK_READ_S = 2.0 + SAMPLE_PERIOD_S


@dataclass(frozen=True, slots=True)
class Present:
    """Ground truth about a present laptop, for the oracle baselines and ACN-Sim only."""

    device: Device
    soc: float


@dataclass(frozen=True, slots=True)
class Decision:
    """A plan as the agent receives it; ``reserve_w`` is the plan's optional per-outlet reserve.

    ``pilot_w`` is for references that modulate power (ACN-Sim's continuous pilots), which a
    relay strip cannot: an outlet on with a pilot draws at most that.
    """

    on: frozenset[int]
    priority: tuple[int, ...]
    reserve_w: Mapping[int, float] = field(default_factory=dict)
    pilot_w: Mapping[int, float] = field(default_factory=dict)
    looks: frozenset[int] = frozenset()  # outlets of ``on`` the agent releases if found empty

    @classmethod
    def of(cls, plan: StripPlan) -> Decision:
        """The engine's plan as its agent is sent it (``StripPlan.agent_plan``)."""
        on = frozenset((*plan.on, *plan.after_looks))
        return cls(on, plan.priority, dict(plan.reserve_w), looks=frozenset(plan.looks))


@dataclass(slots=True)
class _Admitting:
    """One step's admission: the plan, what an outlet switching on counts at, the limit, the
    outlets switched on this step in order, and when each went on (seconds into the step)."""

    decision: Decision
    reserve: Mapping[int, float]
    limit: float
    switched_on: list[int] = field(default_factory=list)
    delays: dict[int, float] = field(default_factory=dict)


class Policy(Protocol):
    name: str

    def reset(self, scenario: Scenario) -> None: ...

    def decide(
        self, t: float, strip: StripInput, present: Sequence[Present], scenario: Scenario
    ) -> Decision: ...


@dataclass(slots=True)
class Outcome:
    """One algorithm's run on one scenario: the bench's metrics and a trace for the plots."""

    delivered_wh: float = 0.0
    initial_wh: float = 0.0
    demands_met: float = 0.0
    dead_minutes: float = 0.0
    blind_dead_minutes: float = 0.0  # of laptops no policy could have noticed yet (see run)
    reporting_dead_minutes: float = 0.0  # of laptops that report their battery
    violation_wh: float = 0.0
    max_overshoot_w: float = 0.0
    switches: int = 0
    looks_released: int = 0  # looks the agent switched off as soon as they read nothing
    refused_plans: int = 0  # plans the agent refused (it kept its last one); a policy's bug
    vacated_off: int = 0  # outlets switched off when their laptop left and the rating did not fit
    switches_per_outlet_hour: float = 0.0
    per_device: list[dict[str, object]] = field(default_factory=list)
    draw_trace: list[float] = field(default_factory=list)
    # Each laptop's charge after every step while it is present (for the charge plots).
    soc_trace: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    seconds_in_policy: float = 0.0


def metrics(out: Outcome, bound_wh: float | None, steps: int) -> dict[str, Any]:
    """The figures of one run, as the bench's results hold them (``bound_wh``: the LP bound, or
    None where it is not computed: no ratios then; ``steps``: for the time per cycle)."""
    ratio = out.delivered_wh / bound_wh if bound_wh else None
    gain = None
    if bound_wh and bound_wh - out.initial_wh > 1e-6:
        gain = (out.delivered_wh - out.initial_wh) / (bound_wh - out.initial_wh)
    return {
        "delivered_wh": round(out.delivered_wh, 2),
        "added_wh": round(out.delivered_wh - out.initial_wh, 2),
        "ratio": None if ratio is None else round(ratio, 4),
        "gain_ratio": None if gain is None else round(gain, 4),
        "demands_met": round(out.demands_met, 4),
        "dead_minutes": round(out.dead_minutes, 1),
        "blind_dead_minutes": round(out.blind_dead_minutes, 1),
        "reporting_dead_minutes": round(out.reporting_dead_minutes, 1),
        "violation_wh": round(out.violation_wh, 4),
        "max_overshoot_w": round(out.max_overshoot_w, 1),
        "switches_per_outlet_hour": round(out.switches_per_outlet_hour, 3),
        "refused_plans": out.refused_plans,
        "ms_per_cycle": round(1000.0 * out.seconds_in_policy / max(1, steps), 3),
        "per_device": out.per_device,
    }


class StripWorld:
    """One strip's world and its agent, stepped by the caller: ``observe`` what the engine
    sees, then ``step`` with a plan and the limit the agent enforces.

    ``run`` drives one strip alone; ``bench.circuit_split`` drives several on one circuit. Outlets may
    be given a configured maximum (``max_w``) other than the scenario's ratings.
    """

    def __init__(self, scenario: Scenario, *, max_w: Mapping[int, float] | None = None) -> None:
        self.scenario = scenario
        self.dt = float(scenario.step_s)
        self.lamps = {e.outlet: e.power_w for e in scenario.exceptions}
        self.max_w = scenario.outlet_ratings()
        self.max_w.update(max_w or {})
        for outlet, watts in self.lamps.items():
            self.max_w[outlet] = watts
        self.balanced = [o for o in scenario.outlet_ids if o not in self.lamps]
        self.relay = dict.fromkeys(scenario.outlet_ids, False)
        for outlet in self.lamps:
            self.relay[outlet] = True
        self.since: dict[int, float | None] = dict.fromkeys(scenario.outlet_ids, None)
        self.measured = dict.fromkeys(scenario.outlet_ids, 0.0)
        self.measured.update(self.lamps)
        # The agent's ``found_empty``: off since a look it released because it read nothing,
        # or since it found the outlet vacated without room for its rating.
        self.found_empty = dict.fromkeys(scenario.outlet_ids, False)
        # On outlets whose laptop left and nothing drew since: counted at their rating.
        self.vacant: set[int] = set()
        # The agent's ``drawn_max_w``: the most each outlet has drawn (every step's draw held
        # over the agent's samples, a shed one's for the guard's hold), until it is seen empty.
        self.drawn = dict.fromkeys(scenario.outlet_ids, 0.0)
        # The limit the agent enforces: the last plan's, until the next step applies a new one.
        self.limit: float | None = None
        # The plan the agent follows: the last it accepted (none yet: every balanced outlet off).
        self.plan = Decision(frozenset(), ())
        self.soc = {d.id: d.soc0 for d in scenario.devices}
        self.out = Outcome()
        self.departed: dict[str, float] = {}
        # A laptop is noticed once it reports its battery or its outlet has been on while it
        # was plugged in; until then it is invisible to anything that sees only the agent's
        # state. One noticed already flat stays "blind" until it is charged back above zero.
        self.noticed = {d.id for d in scenario.devices if d.reports_battery}
        self.found_flat: set[str] = set()
        self.here: dict[int, Device] = {}
        self.t = 0.0
        self.knowledge = Knowledge(scenario)

    def observe(self, t: float, limit: float) -> StripInput:
        """Who is here at ``t``, and the agent's state as the engine would see it."""
        self.t = t
        before = self.here
        self.here = {d.outlet: d for d in self.scenario.devices if d.arrival_s <= t < d.departure_s}
        self._vacate(before, limit if self.limit is None else self.limit)
        for d in self.scenario.devices:
            if d.departure_s <= t and d.id not in self.departed:
                self.departed[d.id] = self.soc[d.id]
        self.knowledge.update(t, self.here, self.soc)
        return self.knowledge.strip_input(
            t,
            limit=limit,
            relay=self.relay,
            since=self.since,
            measured=self.measured,
            max_w=self.max_w,
            drawn=self.drawn,
            lamps=self.lamps,
            found_empty=self.found_empty,
            min_on_s=MIN_ON_S,
            min_off_s=MIN_OFF_S,
        )

    def _vacate(self, before: Mapping[int, Device], limit: float) -> None:
        """The agent's rule for an on outlet whose laptop left (``OutletState.vacated``).

        Its meter reads nothing from then on, and admission counts it at its rating until
        something draws there again; where that rating does not fit beside what the rest
        counts, the agent switches it off (``found_empty``). Stays begin and end on the
        step's grid, so a laptop leaving and the next arriving at the same boundary is a
        person unplugging one and plugging in the other: the agent acts in between, as it
        does once its meter has read nothing for its settling time (the person takes longer).
        """
        for o, device in before.items():
            left = o not in self.here or self.here[o].id != device.id
            if left and self.relay[o] and o in self.balanced and self.measured[o] >= IDLE_W:
                self.vacant.add(o)
                self.measured[o] = 0.0
                self.drawn[o] = 0.0
        for o in sorted(self.vacant):
            others = sum(self._counted(x) for x in self.relay if self.relay[x] and x != o)
            if not fits(others, self.counted_max(o), limit):
                self.relay[o], self.since[o] = False, 0.0
                self.found_empty[o] = True
                self.vacant.discard(o)
                self.out.switches += 1
                self.out.vacated_off += 1

    def _taken(self, decision: Decision) -> Decision:
        """The plan the agent follows: ``decision``, or its last one where it answers 422 (as
        sent, ``StripPlan.agent_plan``, the exception outlets are listed on)."""
        refused = refused_outlet(
            sorted({*decision.on, *self.lamps}),
            decision.priority,
            looks=sorted(decision.looks),
            reserve_w=decision.reserve_w,
            count=len(self.relay),
            exceptions=self.lamps,
        )
        if refused is not None:
            self.out.refused_plans += 1
            return self.plan
        self.plan = decision
        return decision

    def counted_max(self, outlet: int) -> float:
        """The most the agent counts the outlet may draw (``OutletState.counted_max_w``)."""
        return max(self.max_w[outlet], self.drawn[outlet])

    def _counted(self, outlet: int, switched_on: Sequence[int] = (), reserve: float = 0.0) -> float:
        """What the agent's admission counts an on outlet at (``OutletState.reserve_w``)."""
        if outlet in self.vacant:
            return self.counted_max(outlet)
        return counted_w(self.measured[outlet], outlet in switched_on, reserve)

    def present(self) -> list[Present]:
        return [Present(d, self.soc[d.id]) for d in self.here.values()]

    def step(self, decision: Decision, limit: float) -> dict[int, float]:
        """The agent applies the plan under ``limit``, then one step of physics; the draws."""
        decision = self._taken(decision)
        self.limit = limit
        out, relay, since = self.out, self.relay, self.since
        balanced, here, soc, dt = self.balanced, self.here, self.soc, self.dt
        rank = {o: i for i, o in enumerate(decision.priority)}
        # What admission counts for an outlet switching on or settling: the plan's reserve
        # when it gives one (never above the outlet's maximum), else the maximum.
        reserve = {o: switch_on_w(self.counted_max(o), decision.reserve_w.get(o)) for o in relay}
        for o, pilot in decision.pilot_w.items():
            reserve[o] = pilot
        pilots = decision.pilot_w

        # The agent: switch-offs first, then admitted switch-ons in priority order.
        self._switch_off(decision)
        admitting = _Admitting(decision, reserve, limit)
        admitting.delays = self._admit_at(admitting, at=0.0)
        self._release_empty_looks(admitting)
        self._admit_when_settled(admitting)
        delays = admitting.delays

        # Physics, with the guard shedding from the end of the priority on an overload.
        draws, after = _physics(
            here=here, soc=soc, relay=relay, delays=delays, dt=dt, lamps=self.lamps, pilots=pilots
        )
        total = sum(draws.values())
        for o, watts in draws.items():  # every outlet drawing is one of the scenario's
            self.drawn[o] = max(self.drawn[o], watts)
        if total > limit + 1e-9:
            out.max_overshoot_w = max(out.max_overshoot_w, total - limit)
            out.violation_wh += (total - limit) * GUARD_HOLD_S / SECONDS_PER_HOUR
            order = sorted((o for o in balanced if relay[o]), key=lambda o: (rank.get(o, 99), o))
            while order and total > limit + 1e-9:
                shed = order.pop()
                # Cut after the hold from its switch-on (or the step's start): its relay
                # moved that much into the step.
                relay[shed], since[shed] = False, -(delays.get(shed, 0.0) + GUARD_HOLD_S)
                out.switches += 1
                total -= draws.get(shed, 0.0)
            draws, after = _physics(
                here=here,
                soc=soc,
                relay=relay,
                delays=delays,
                dt=dt,
                lamps=self.lamps,
                pilots=pilots,
            )
        for o, d in here.items():
            if relay[o] and d.id not in self.noticed:
                self.noticed.add(d.id)
                if soc[d.id] < 0:
                    self.found_flat.add(d.id)
        soc.update(after)
        for d in here.values():
            if soc[d.id] >= 0:
                self.found_flat.discard(d.id)
            elif soc[d.id] < 0:
                out.dead_minutes += dt / 60.0
                if d.reports_battery:
                    out.reporting_dead_minutes += dt / 60.0
                if d.id not in self.noticed or d.id in self.found_flat:
                    out.blind_dead_minutes += dt / 60.0
        for o in relay:
            self.measured[o] = draws.get(o, 0.0) if relay[o] else 0.0
            if not relay[o] or self.measured[o] >= IDLE_W:
                self.vacant.discard(o)
            if since[o] is not None:
                since[o] = (since[o] or 0.0) + dt
        out.draw_trace.append(sum(draws.values()))
        end = self.t + dt
        for d in here.values():
            out.soc_trace.setdefault(d.id, []).append((end, soc[d.id]))
        return draws

    def _admit(self, admitting: _Admitting, slots: int) -> list[int]:
        """The agent's admission: the plan's outlets that fit, in its priority order, at most
        ``slots`` of them."""
        relay, since = self.relay, self.since
        decision, reserve, switched_on = (
            admitting.decision,
            admitting.reserve,
            admitting.switched_on,
        )
        rank = {o: i for i, o in enumerate(decision.priority)}
        admitted = []
        for o in sorted(
            (o for o in decision.on if o in self.balanced), key=lambda o: (rank.get(o, 99), o)
        ):
            if len(admitted) >= slots:
                break
            if relay[o] or not _elapsed(since[o], MIN_OFF_S):
                continue
            counted = sum(self._counted(x, switched_on, reserve[x]) for x in relay if relay[x])
            if fits(counted, reserve[o], admitting.limit):
                relay[o], since[o] = True, 0.0
                switched_on.append(o)
                admitted.append(o)
                self.found_empty[o] = False
                self.out.switches += 1
        return admitted

    def _switch_off(self, decision: Decision) -> None:
        """The outlets the plan wants off go off once their minimum on time is over, and one
        that never drew since it went on at once (``StripController._release_empty``): nothing
        is plugged in there for the minimum to protect, and admission counts it at nothing.
        (One that drew and was unplugged is ``vacant``, counted at its rating until then.)"""
        relay, since = self.relay, self.since
        for o in self.balanced:
            if not relay[o] or o in decision.on:
                continue
            never_drew = self.measured[o] < IDLE_W and o not in self.vacant
            if never_drew or _elapsed(since[o], MIN_ON_S):
                relay[o], since[o] = False, 0.0
                self.out.switches += 1

    def _release_empty_looks(self, admitting: _Admitting) -> None:
        """Looks that read nothing go off once their meters settle; the outlets waiting for
        that room (other looks among them) go on after them, a stagger apart (``delays``:
        when each outlet switched on this step went on, completed here)."""
        delays, looks = admitting.delays, admitting.decision.looks
        while released := [
            o for o in delays if o in looks and self.relay[o] and o not in self.here
        ]:
            at = max(delays[o] for o in released) + LOOK_READ_S
            for o in released:
                self.relay[o], self.since[o] = False, -(delays[o] + LOOK_READ_S)
                self.found_empty[o] = True
                self.drawn[o] = 0.0
                admitting.switched_on.remove(o)
                self.out.switches += 1
                self.out.looks_released += 1
            self._admit_at(admitting, at=at)

    def _admit_when_settled(self, admitting: _Admitting) -> None:
        """The agent counts an outlet switched on at its reserve only until its meter has
        settled, then at what it reads; outlets of the plan still waiting for room are
        admitted then (the agent reconciles every sample), a stagger apart."""
        decision, switched_on, delays = admitting.decision, admitting.switched_on, admitting.delays
        waiting = any(o in self.balanced and not self.relay[o] for o in decision.on)
        settled = [o for o in switched_on if delays[o] + LOOK_READ_S < self.dt]
        if not waiting or not settled:
            return
        at = max(delays[o] for o in settled) + LOOK_READ_S
        for o in settled:
            switched_on.remove(o)
            device = self.here.get(o)
            if device is None:
                self.measured[o] = 0.0
                continue
            # What its meter reads: its draw once on, from the charge it had when it went on.
            level = self.soc[device.id]
            if delays[o] > 0:
                level = step(device.spec, level, False, delays[o])[0]
            pilot = decision.pilot_w.get(o)
            self.measured[o] = step(device.spec, level, True, LOOK_READ_S, pilot)[1]
        self._admit_at(admitting, at=at)

    def _admit_at(self, admitting: _Admitting, *, at: float) -> dict[int, float]:
        """Admission ``at`` seconds into the step; what it admits goes on from then, a
        stagger apart (recorded in ``delays``, and returned). Only switch-ons that land before
        the step ends are made: the agent makes the others in the next step, which admits
        them again from its start."""
        stagger = Admission(STAGGER_S, SAMPLE_PERIOD_S)
        times = [x for x in stagger.switch_on_times(at, len(self.balanced)) if x < self.dt]
        late = self._admit(admitting, len(times))
        made = dict(zip(late, times, strict=False))
        admitting.delays.update(made)
        return made

    def finish(self) -> Outcome:
        """Issue 8's metrics at the end of the scenario."""
        out, scenario = self.out, self.scenario
        end = scenario.steps * self.dt
        for d in scenario.devices:
            if d.id not in self.departed and d.departure_s <= end:
                self.departed[d.id] = self.soc[d.id]
            final = self.departed.get(d.id, self.soc[d.id])
            out.delivered_wh += d.counted_wh(final)
            out.initial_wh += d.counted_wh(d.soc0)
            out.per_device.append({"id": d.id, "soc_departure": round(final, 4)})
            if final >= d.target_soc - 1e-3:
                out.demands_met += 1
        out.demands_met /= max(1, len(scenario.devices))
        outlet_hours = len(self.balanced) * end / SECONDS_PER_HOUR
        # A strip of exception outlets only has no balanced outlet to switch.
        out.switches_per_outlet_hour = out.switches / outlet_hours if outlet_hours else 0.0
        return out


def run(scenario: Scenario, policy: Policy) -> Outcome:
    """Step the world through the scenario under ``policy``."""
    policy.reset(scenario)
    world = StripWorld(scenario)
    for k in range(scenario.steps):
        t = k * world.dt
        limit = scenario.budget_at(t)
        strip = world.observe(t, limit)
        started = time.perf_counter()
        decision = policy.decide(t, strip, world.present(), scenario)
        world.out.seconds_in_policy += time.perf_counter() - started
        world.step(decision, limit)
    return world.finish()


def _elapsed(since: float | None, minimum: float) -> bool:
    return since is None or since >= minimum - 1e-9


def _physics(
    *,
    here: dict[int, Device],
    soc: dict[str, float],
    relay: dict[int, bool],
    delays: dict[int, float],
    dt: float,
    lamps: dict[int, float],
    pilots: Mapping[int, float],
) -> tuple[dict[int, float], dict[str, float]]:
    """Draw per outlet (while on) and the charge after the step, without mutating ``soc``."""
    draws = dict(lamps.items())
    after: dict[str, float] = {}
    for outlet, d in here.items():
        spec = d.spec
        level = soc[d.id]
        if not relay[outlet]:
            after[d.id], _ = step(spec, level, False, dt)
            continue
        delay = delays.get(outlet, 0.0)
        if delay > 0:
            level, _ = step(spec, level, False, delay)
        after[d.id], draws[outlet] = step(spec, level, True, dt - delay, pilots.get(outlet))
    return draws, after
