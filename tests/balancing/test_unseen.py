"""A laptop without reports that nothing has seen for long while its outlet is off is looked
at again (``smart``, ``Settings.unseen_look_s``): it may have left and another taken its place.

The look counts at the outlet's rating, not at what was learned of the laptop before, and on
a tuning day it finds a laptop swapped in while the outlet was off.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from bench.policies import EnginePolicy, Settings as BenchSettings, Strategy as BenchStrategy
from bench.scenario import generate
from bench.world import Decision, run
from custom_components.smartmulti.balancing import (
    Balancer,
    Circuit,
    Reason,
    Settings,
    SiteBalancer,
    Strategy,
    StripPlan,
)
from custom_components.smartmulti.balancing.wear import worn

from .helpers import laptop, reasons, strip

RATING_W = 90.0
OFF_AT = 660.0  # the laptop is switched off here, full, after the meter last read it


def _full_then_off(
    settings: Settings,
    until: float,
    *,
    strategy: Strategy = Strategy.SMART,
    reports: bool = False,
) -> list[tuple[float, StripPlan]]:
    """A laptop without reports seen charging, then idle (full), then off from ``OFF_AT`` on a
    roomy strip; the plans of the cycles while it is off, a minute apart, up to ``until``."""
    engine = Balancer(settings)
    plans: list[tuple[float, StripPlan]] = []
    t = 0.0
    while t <= until:
        on = t < OFF_AT
        watts = 60.0 if t < 180 else 20.0
        outlet = laptop(
            0,
            on=on,
            power=watts,
            max_w=RATING_W,
            since=t + 60.0 if on else t - OFF_AT,
            percent=100.0 if reports else None,
        )
        plan = engine.plan(strip(outlet, budget=500, now=t, strategy=strategy))
        if not on:
            plans.append((t, plan))
        t += 60.0
    return plans


def _looks(plans: list[tuple[float, StripPlan]]) -> list[float]:
    """When the outlet was planned on to be looked at again."""
    return [t for t, plan in plans if 0 in plan.on and reasons(plan)[0] is Reason.PROBING]


def test_a_laptop_unseen_too_long_is_looked_at_again_counted_at_its_rating() -> None:
    settings = Settings()
    seen_at = OFF_AT - 60.0  # the meter's last reading, the cycle before the switch-off
    plans = _full_then_off(settings, seen_at + settings.unseen_look_s + 120.0)
    looks = _looks(plans)
    assert looks
    assert looks[0] == pytest.approx(seen_at + settings.unseen_look_s)
    look = dict(plans)[looks[0]]
    # Counted at the rating: no reserve learned from the laptop seen before.
    assert 0 not in look.reserve_w
    assert look.planned_w == pytest.approx(RATING_W)


def test_a_laptop_that_reports_is_never_looked_at_again() -> None:
    settings = Settings()
    plans = _full_then_off(settings, OFF_AT + 2 * settings.unseen_look_s, reports=True)
    assert _looks(plans) == []


@pytest.mark.parametrize(
    ("settings", "strategy"),
    [
        (Settings(unseen_look_s=0.0), Strategy.SMART),
        (Settings(), Strategy.BATTERY_PRIORITY),
    ],
    ids=["switched-off", "not-smart"],
)
def test_only_smart_looks_again_and_zero_turns_it_off(
    settings: Settings, strategy: Strategy
) -> None:
    plans = _full_then_off(settings, OFF_AT + 2 * Settings().unseen_look_s, strategy=strategy)
    assert _looks(plans) == []


def test_on_a_shared_circuit_the_look_is_not_put_off_for_a_young_turn_on_another_strip() -> None:
    """The circuit ranks the look as a look at an unknown occupant, not as the charge of the
    laptop seen before: a young turn on another strip would otherwise keep the room, cycle
    after cycle, while whoever came to the off outlet may be running flat."""
    settings = Settings()
    look_at = OFF_AT - 60.0 + settings.unseen_look_s
    site = SiteBalancer(Circuit("room", 100, strips=("a", "b")), settings)
    t = 0.0
    while t < look_at:
        on = t < OFF_AT
        watts = 60.0 if t < 180 else 20.0  # charged, then full: as ``_full_then_off``
        since = t + 60.0 if on else t - OFF_AT
        outlet = laptop(0, on=on, power=watts, max_w=RATING_W, since=since)
        site.plan({"a": replace(strip(outlet, budget=500, now=t), strip_id="a")})
        t += 60.0
    unseen = laptop(0, max_w=RATING_W, since=look_at - OFF_AT)
    turn = laptop(0, on=True, power=60.0, percent=60, since=120.0)  # two minutes old
    plan = site.plan(
        {
            "a": replace(strip(unseen, budget=500, now=look_at), strip_id="a"),
            "b": replace(strip(turn, budget=500, now=look_at), strip_id="b"),
        }
    )
    assert plan.plans["a"].on == (0,)
    assert reasons(plan.plans["a"])[0] is Reason.PROBING
    assert plan.plans["b"].on == ()


def test_on_a_worn_strip_the_looks_come_rarer_by_the_whole_wear_factor() -> None:
    settings = Settings()
    rate = settings.switch_rate_hard
    factor = settings.wear_max_factor
    assert factor > settings.wear_look_max_factor  # the other looks stop stretching before
    assert worn(settings, rate).unseen_look_s == pytest.approx(settings.unseen_look_s * factor)


@dataclass
class _Watching(EnginePolicy):
    """``smart`` as the coordinator drives it, noting each look at an unseen laptop: when, what
    the look counted the outlet at, and who was really there."""

    looks: list[dict[str, Any]] = field(default_factory=list)

    def decide(self, t: float, strip: Any, present: Any, scenario: Any) -> Decision:
        engine = self.engine
        assert engine is not None
        observation = engine.observe(replace(strip, strategy=self.strategy))
        plan = engine.plan_within(observation, strip.budget_w)
        here = {p.device.outlet: p.device for p in present}
        for c in observation.candidates:
            if c.laptop.unseen and c.outlet_id in plan.on:
                device = here.get(c.outlet_id)
                self.looks.append(
                    {
                        "counted_w": c.draw_w,
                        "rating_w": c.outlet.max_power_w,
                        "seen_at": c.laptop.observed_at,
                        "arrived": None if device is None else device.arrival_s,
                    }
                )
        return Decision.of(plan)


def test_on_a_tuning_day_a_look_finds_a_laptop_swapped_in_while_the_outlet_was_off() -> None:
    """random-1058: laptops without reports come and go at outlets that are off."""
    day = generate(1058)
    # The bench loads the engine as its own top-level package: its enums are its own.
    watching = _Watching(BenchStrategy.SMART)
    with_looks = run(day, watching)
    without = run(day, EnginePolicy(BenchStrategy.SMART, BenchSettings(unseen_look_s=0.0)))
    assert watching.looks
    assert all(look["counted_w"] == look["rating_w"] for look in watching.looks)
    # One look found a laptop that came after the engine last saw that outlet.
    assert any(
        look["arrived"] is not None and look["arrived"] > look["seen_at"] for look in watching.looks
    )
    assert with_looks.dead_minutes < without.dead_minutes
    assert with_looks.delivered_wh >= 0.99 * without.delivered_wh
