"""The bench's yardsticks for where ``smart``'s gap comes from (``bench.information``).

The limited relay oracle is told everything but held to a switching discipline: it must keep
that discipline on the agent's own relays, stay within the product's switching target where
the unlimited oracle is far above it, and still add nearly what the unlimited oracle adds. The information levels must change only what
they name, and the first level must be the day as the published bench runs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
import itertools
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bench.information import LEVELS, told
from bench.policies import EnginePolicy, LimitedRelayOracle, RelayOracle, Strategy
from bench.scenario import Device, Scenario, generate, load
from bench.world import Decision, Present, run

if TYPE_CHECKING:
    # The bench loads the engine as the top-level package ``balancing`` (importing ``bench``
    # first does).
    from balancing import StripInput

SCENARIOS = Path(__file__).resolve().parents[2] / "bench" / "scenarios"


@dataclass(slots=True)
class _Watched:
    """The limited oracle, with the moment of every relay move the agent reports."""

    inner: LimitedRelayOracle = field(default_factory=LimitedRelayOracle)
    moves: dict[int, list[float]] = field(default_factory=dict)
    _last: dict[int, bool] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.inner.name

    def reset(self, scenario: Scenario) -> None:
        self.inner.reset(scenario)
        self.moves, self._last = {}, {}

    def decide(
        self, t: float, strip: StripInput, present: Sequence[Present], scenario: Scenario
    ) -> Decision:
        for o in strip.outlets:
            if self._last.get(o.outlet_id, False) != o.relay_on:
                self.moves.setdefault(o.outlet_id, []).append(t)
            self._last[o.outlet_id] = o.relay_on
        return self.inner.decide(t, strip, present, scenario)


def _day(name: str) -> Scenario:
    if name.startswith("random-"):
        return generate(int(name.removeprefix("random-")))
    return load(SCENARIOS / f"{name}.json")


def _steady_day() -> Scenario:
    """Six laptops present all day, none near flat, room for three: the unlimited oracle
    rotates them every step, so only the discipline holds the limited one back."""
    devices = tuple(
        Device(
            id=f"steady-{k}",
            outlet=k,
            arrival_s=0,
            departure_s=4 * 3600,
            capacity_wh=90.0,
            soc0=0.45 + 0.03 * k,
            target_soc=1.0,
            charge_w=65.0,
            use_w=8.0,
            cv_soc=0.8,
            efficiency=0.9,
            reports_battery=True,
            departure_known=True,
        )
        for k in range(1, 7)
    )
    return Scenario(
        name="steady",
        step_s=60,
        duration_s=4 * 3600,
        outlets=8,
        budget_w=((0, 230.0),),
        exceptions=(),
        devices=devices,
        outlet_max_power_w=80.0,
    )


def test_the_limited_oracle_keeps_its_discipline_on_the_agents_relays() -> None:
    scenario = _steady_day()
    watched = _Watched()
    limited = run(scenario, watched)
    free = run(scenario, RelayOracle())

    rule = watched.inner
    assert free.switches > 3 * limited.switches
    assert sum(len(m) for m in watched.moves.values()) >= 12
    for outlet, moves in watched.moves.items():
        for i, start in enumerate(moves):
            in_hour = [m for m in moves[i:] if m < start + 3600.0]
            assert len(in_hour) <= rule.per_hour, (outlet, in_hour)
        for earlier, later in itertools.pairwise(moves):
            assert later - earlier >= rule.dwell_s, (outlet, earlier, later)
    assert limited.dead_minutes == 0.0
    assert limited.violation_wh == 0.0


@pytest.mark.parametrize("name", ["lecture", "random-1013"])
def test_the_limited_oracle_stays_within_the_switching_target_and_keeps_the_energy(
    name: str,
) -> None:
    """Where the unlimited oracle switches far above the product's target, the limited one
    stays within it (laptops about to run flat and departures aside, its discipline holds)
    and still adds nearly all the energy."""
    scenario = _day(name)
    limited = run(scenario, LimitedRelayOracle())
    free = run(scenario, RelayOracle())
    assert free.switches_per_outlet_hour > 6.0
    assert limited.switches_per_outlet_hour <= 4.0
    assert limited.dead_minutes == 0.0
    assert limited.violation_wh == 0.0
    added = limited.delivered_wh - limited.initial_wh
    assert added >= 0.97 * (free.delivered_wh - free.initial_wh)


def test_each_level_tells_only_what_it_names() -> None:
    scenario = generate(1013)
    names = [name for name, _ in LEVELS]
    assert names == [
        "as the strip knows",
        "every laptop reports",
        "every departure given",
        "every charge limit set",
    ]
    days = [told(scenario, level) for _, level in LEVELS]
    assert days[0] == scenario
    assert any(not d.reports_battery for d in scenario.devices)
    assert any(not d.departure_known for d in scenario.devices)
    for before, after in zip(scenario.devices, days[1].devices, strict=True):
        assert after.reports_battery
        assert after.battery_via == (before.battery_via if before.reports_battery else "reporter")
        assert after.departure_known == before.departure_known
        assert not after.limit_set
    for after in days[2].devices:
        assert (after.reports_battery, after.departure_known, after.limit_set) == (
            True,
            True,
            False,
        )
    for after in days[3].devices:
        assert (after.reports_battery, after.departure_known, after.limit_set) == (
            True,
            True,
            True,
        )
    # The laptops themselves are the same laptops on every level.
    for day in days:
        assert [(d.id, d.charge_w, d.soc0, d.target_soc) for d in day.devices] == [
            (d.id, d.charge_w, d.soc0, d.target_soc) for d in scenario.devices
        ]


def test_the_first_level_is_the_published_information_model() -> None:
    scenario = generate(1007)
    first = told(scenario, LEVELS[0][1])
    a = run(first, EnginePolicy(Strategy.SMART))
    b = run(scenario, EnginePolicy(Strategy.SMART))
    a.seconds_in_policy = b.seconds_in_policy = 0.0
    assert a == b
