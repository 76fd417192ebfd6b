"""Properties over random fleets: the rules hold whatever the strategy, budget and state."""

from __future__ import annotations

from collections.abc import Mapping

from hypothesis import given, settings, strategies as st

from custom_components.smartmulti.balancing import (
    Balancer,
    BatteryReport,
    Circuit,
    OutletInput,
    Reason,
    Settings,
    SiteBalancer,
    Strategy,
    StripInput,
    StripPlan,
)

MIN_ON_S, MIN_OFF_S = 60.0, 30.0


@st.composite
def outlets(draw: st.DrawFn, outlet_id: int) -> OutletInput:
    on = draw(st.booleans())
    max_w = draw(st.floats(10, 180))
    report = draw(
        st.none()
        | st.builds(
            BatteryReport,
            percent=st.floats(0, 100),
            plugged=st.booleans(),
            age_s=st.floats(0, 2000),
        )
    )
    return OutletInput(
        outlet_id=outlet_id,
        relay_on=on,
        power_w=draw(st.floats(0, max_w)) if on else 0.0,
        max_power_w=max_w,
        exception=draw(st.integers(0, 9)) == 0,
        fault=draw(st.integers(0, 19)) == 0,
        stale=draw(st.integers(0, 9)) == 0,
        seconds_since_switch=draw(st.none() | st.floats(0, 4000)),
        battery=report,
        tier=draw(st.integers(0, 2)),
        departure_at=draw(st.none() | st.floats(0, 36000)),
        target_percent=draw(st.sampled_from([80.0, 100.0])),
    )


@st.composite
def strips(draw: st.DrawFn) -> StripInput:
    n = draw(st.integers(1, 16))
    return StripInput(
        strip_id="s",
        now=draw(st.floats(0, 3600)),
        budget_w=draw(st.floats(0, 1500)),
        hard_limit_w=draw(st.floats(100, 3680)),
        outlets=tuple(draw(outlets(i)) for i in range(n)),
        strategy=draw(st.sampled_from(list(Strategy))),
        min_on_s=MIN_ON_S,
        min_off_s=MIN_OFF_S,
        max_on=draw(st.none() | st.integers(0, 16)),
    )


def counted_w(o: OutletInput, reserve: Mapping[int, float]) -> float:
    """What the agent's admission check counts for an outlet the plan has on.

    Settled: its measured draw. Switching on or settling: the plan's reserve for it, never
    above its maximum (the agent takes the smaller), else its maximum.
    """
    if _settled(o) and o.power_w >= 2.0:
        return o.power_w
    return min(o.max_power_w, reserve.get(o.outlet_id, o.max_power_w))


def _settled(o: OutletInput) -> bool:
    return (
        o.relay_on
        and not o.stale
        and not o.fault
        and (o.seconds_since_switch is None or o.seconds_since_switch >= 5.0)
    )


def planned_w(strip: StripInput, plan: StripPlan, ids: set[int] | None = None) -> float:
    """The worst case of what the plan has on (or of ``ids``), as the agent's admission counts
    each outlet (``counted_w``), except that under ``smart`` the empty outlets kept open (on
    and reading nothing, or off and opened with them: reason ``open``) share the room of
    ``Settings.open_arrivals`` laptops plugged in before the next cycle: their largest
    ratings."""
    counted = set(plan.on) if ids is None else ids
    by_id = {o.outlet_id: o for o in strip.outlets}
    reasons = {d.outlet_id: d.reason for d in plan.outlets}
    shared: set[int] = set()
    if strip.strategy is Strategy.SMART:
        shared = {
            i
            for i in counted
            if (_settled(by_id[i]) and by_id[i].power_w < 2.0)
            or (not by_id[i].relay_on and reasons[i] is Reason.OPEN)
        }
    ratings = sorted((by_id[i].max_power_w for i in shared), reverse=True)
    alone = sum(counted_w(by_id[i], plan.reserve_w) for i in counted if i not in shared)
    return alone + sum(ratings[: Settings().open_arrivals])


@settings(max_examples=300, deadline=None)
@given(strips(), st.integers(1, 3))
def test_rules_hold_for_every_strategy(strip: StripInput, cycles: int) -> None:
    engine = Balancer()
    for k in range(cycles):
        plan = engine.plan(StripInput(**{**_fields(strip), "now": strip.now + 10 * k}))
    by_id = {o.outlet_id: o for o in strip.outlets}
    balanced = {o.outlet_id for o in strip.outlets if not o.exception}
    exceptions = {o.outlet_id for o in strip.outlets if o.exception}
    room = min(strip.budget_w, strip.hard_limit_w) - plan.exceptions_w
    on = set(plan.on)

    # Exceptions are never switched: always listed on, never balanced.
    assert set(plan.exceptions) == exceptions
    assert exceptions <= set(plan.agent_plan(30)["on"])  # type: ignore[arg-type]
    assert not on & exceptions

    # The priority order is a permutation of the balanced outlets.
    assert sorted(plan.priority) == sorted(balanced)

    # A reserve is only given for an outlet planned on (or to go on after the looks), never
    # above its maximum, never for a stale or faulted meter.
    for i, watts in plan.reserve_w.items():
        assert i in on or i in plan.after_looks
        assert 0 < watts <= by_id[i].max_power_w
        assert not by_id[i].stale
        assert not by_id[i].fault

    # The worst-case draw of what is planned on fits what the exceptions leave.
    planned = planned_w(strip, plan)
    assert abs(planned - plan.planned_w) < 1e-6
    assert planned <= max(0.0, room) + 1e-6

    # Looks are off outlets planned on, now or after the first looks; what waits for their
    # room is off, free to switch on, and fits beside the rest of the plan once the looks are
    # released (the agent's admission holds it until then).
    after = set(plan.after_looks)
    looks = set(plan.looks)
    assert not after & on
    assert looks <= on | after
    assert not looks or looks & on
    for i in looks | after:
        o = by_id[i]
        assert not o.relay_on
        assert not o.fault
        since = o.seconds_since_switch
        assert since is None or since + min(10.0 if cycles > 1 else 0.0, MIN_OFF_S / 2) >= MIN_OFF_S
    # Counted as the plan is, the empty outlets kept open sharing their room.
    kept = planned_w(strip, plan, (on | after) - looks)
    assert kept <= max(0.0, room) + 1e-6

    # Nothing switches before its minimum time runs out (by the next cycle, 10 s after the
    # last one, at most half the minimum ahead), unless the budget forces a shed.
    ahead = 10.0 if cycles > 1 else 0.0
    for i in balanced:
        o = by_id[i]
        since = o.seconds_since_switch
        if not o.relay_on and i in on:
            assert since is None or since + min(ahead, MIN_OFF_S / 2) >= MIN_OFF_S
            assert not o.fault
        late = since is not None and since + min(ahead, MIN_ON_S / 2) < MIN_ON_S
        if o.relay_on and i not in on and late:
            reason = next(d.reason for d in plan.outlets if d.outlet_id == i)
            assert reason is Reason.OVER_BUDGET

    # The outlet count limit of max_outlets holds whenever it can.
    if strip.strategy is Strategy.MAX_OUTLETS and strip.max_on is not None:
        locked = {
            i
            for i in balanced
            if by_id[i].relay_on
            and by_id[i].seconds_since_switch is not None
            and by_id[i].seconds_since_switch < MIN_ON_S  # type: ignore[operator]
        }
        assert len(on) <= max(strip.max_on, len(locked & on))


def _fields(strip: StripInput) -> dict[str, object]:
    return {f: getattr(strip, f) for f in StripInput.__dataclass_fields__}


@settings(max_examples=150, deadline=None)
@given(st.lists(strips(), min_size=2, max_size=3), st.floats(0, 3000), st.integers(1, 3))
def test_strips_sharing_a_circuit_stay_within_it_whatever_their_strategies(
    fleet: list[StripInput], circuit_w: float, cycles: int
) -> None:
    ids = [f"s{i}" for i in range(len(fleet))]
    site = SiteBalancer()
    root = Circuit("room", circuit_w, strips=tuple(ids))
    for k in range(cycles):
        inputs = {
            sid: StripInput(**{**_fields(s), "strip_id": sid, "now": s.now + 10 * k})
            for sid, s in zip(ids, fleet, strict=True)
        }
        plan = site.plan(inputs, root=root)
    assert sum(plan.budgets.values()) <= circuit_w + 1e-6
    for sid, s in zip(ids, fleet, strict=True):
        p = plan.plans[sid]
        assert p.budget_w <= min(s.budget_w, s.hard_limit_w) + 1e-6
        assert p.planned_w <= max(0.0, min(p.budget_w, s.hard_limit_w) - p.exceptions_w) + 1e-6
