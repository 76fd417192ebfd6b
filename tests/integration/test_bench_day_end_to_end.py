"""The bench measures the product: bench days run end to end give the bench's figures.

Two days, each run twice with ``smart``. ``bench_day.json``: 80 minutes, seven laptops arriving and
leaving, four of them reporting their battery, a 30 W lamp, a 230 W budget that carries two or
three chargers. ``bench_day_looks.json``: an hour, three reporting laptops wanting more than a 170
W budget gives while four outlets stand empty, and a laptop without a report plugged into one of
them after half an hour: the empty outlets are looked at while laptops wait, so the agent releases
those looks as soon as they read nothing (``StripPlan.looks``), and one look finds the laptop. Each
day is run by the bench (``bench.world``, the engine called once per 60 s step) and by the product:
the simulated agent holding the same laptops (``bench.agent_day``) on loopback, and Home Assistant
with the integration set up through its config entry.

The agent's world runs ``SPEED`` times faster than real time. The agent tells Home Assistant so
(``time_scale`` in its info) and the engine plans on the laptops' time; the agent's own timings
keep real time, so they are the bench's (``bench.world``) divided by ``SPEED``: minimum on/off
times, stagger, guard hold and settling. The laptops post their battery when the bench's do
(``bench.agent_day.Reports``: every 30 s of the world from their pairing on), and Home Assistant
plans every second (the option's minimum: the bench's 60 s step). Both sides know the same: no user
gives a departure, no battery sensor is mapped. What differs and is tolerated: the agent samples
every 0.1 s (6 s of the world) where the bench's world moves in 60 s steps, so switch-ons and guard
sheds land on that grid; Home Assistant also plans on changes (at most once a second), a little
late after each, by the machine's load; the meters are noisy (0.4 %).

Measured on the first day (two shared cores beside a CI run, the demo's Home Assistant): the bench
adds 93.6 Wh to the laptops (its ``delivered_wh`` less the charge they came with: the part a
strategy moves), no dead minute, nothing over budget, 51 switches, four outlets switched off when
their laptop left; the product added 88.1 Wh (0.94 of the bench's), no dead minute, nothing over
budget (true draw above the budget integrated over the day), 49 switches, the same four outlets
released. Both read laptops never measured and switch on what waits behind a reading once it is
read (``balancing.readings``); before they did, 75.6 Wh on the bench and 73.1-73.2 Wh in the
product. Every strategy loses a few percent here against its bench figure (``battery_priority`` and
``total_cap`` 7-10 % in the runs that set the tolerance): the product's timing against the bench's
grid. So the test asks ``added_wh`` within 0.85-1.05 of the bench's, dead minutes within 10 of it,
at most 0.2 Wh over budget (an overshoot of one charger for a guard hold and a sample), switches
within 25 %. The product with ``battery_priority`` (0.74 of ``smart``'s bench figure, 13 dead
minutes) or ``total_cap`` (0.71, 58 dead minutes) fails it. On the looks day the bench adds 53.2 Wh
with 32 switches and seven looks released, the product 50.3, 50.1 and 50.0 Wh with 41, 41 and 43
switches and seven looks released (three runs; before readings 49.0, 51.3 and 46.9 Wh, the last
rerun); the engine reading one release again from a later, late state as a second empty look (each
cycle backing the outlet's looks off once more) gave 49.0 Wh, 16 switches and four releases where
the bench makes seven: the test asks the releases within 2 of the bench's. A day this short has few
switches, and a plan or two made late under load moves them by a third (41 in one run on two busy
cores): switches are asked within 25 % or 15, whichever is more.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from pathlib import Path

from homeassistant.core import HomeAssistant
import pytest

from bench import agent_day
from bench.policies import EnginePolicy, Strategy
from bench.scenario import Scenario, load
from bench.world import GUARD_HOLD_S, MIN_OFF_S, MIN_ON_S, STAGGER_S, Outcome, run
from pi_agent.config import StripConfig
from pi_agent.sim.physics import SECONDS_PER_HOUR
from tests.support.agent import RunningAgent

from .conftest import (
    FAST_CYCLES,
    AgentFactory,
    restore_budget_and_strategy,
    setup_entries,
    strip_entry,
)

DAY = load(Path(__file__).with_name("bench_day.json"))
LOOKS_DAY = load(Path(__file__).with_name("bench_day_looks.json"))
STRATEGY = Strategy.SMART
SPEED = 60.0  # simulated seconds per real second: the 80 minute day in 80 s
SAMPLE_HZ = 10.0


def strip_config(day: Scenario) -> StripConfig:
    """The strip of ``day``, its timings the bench's on the world's time."""
    return StripConfig(
        name="Bench day strip",
        hard_limit_w=1000.0,
        failsafe_budget_w=day.budget_at(0.0),
        min_on_s=MIN_ON_S / SPEED,
        min_off_s=MIN_OFF_S / SPEED,
        stagger_s=STAGGER_S / SPEED,
        hold_s=GUARD_HOLD_S / SPEED,
        settle_s=2.0 / SPEED,  # the agent's default on the world's time
        sample_hz=SAMPLE_HZ,
    )


ADDED_SHARE = (0.85, 1.05)  # of the bench's added_wh
DEAD_MINUTES_SLACK = 10.0
OVER_BUDGET_WH = 0.2
SWITCHES_SHARE = 0.25
SWITCHES_SLACK = 15  # at least: a short day's few switches move with a late plan or two
RELEASES_SLACK = 2


@dataclass
class Watch:
    """What the day did on the agent's world, read after every sample: the true draw over the
    budget integrated over sim time, the switches of the balanced outlets, and the looks the
    agent released because they read nothing."""

    day: Scenario
    over_budget_wh: float = 0.0
    switches: int = 0
    samples: int = 0
    released: int = 0
    _last_s: float | None = None
    _relays: dict[int, bool] = field(default_factory=dict)
    _found_empty: dict[int, float | None] = field(default_factory=dict)

    def sample(self, running: RunningAgent) -> None:
        world = running.world
        outlets = range(1, world.outlets + 1)
        draw = sum(world.draw_w(o) for o in outlets)
        if self._last_s is not None:
            over = max(0.0, draw - self.day.budget_at(world.time_s))
            self.over_budget_wh += over * (world.time_s - self._last_s) / SECONDS_PER_HOUR
        self._last_s = world.time_s
        for outlet in running.agent.controller.outlets:
            at = outlet.found_empty_at
            if at is not None and self._found_empty.get(outlet.id) != at:
                self.released += 1
            self._found_empty[outlet.id] = at
        lamps = {lamp.outlet for lamp in self.day.exceptions}
        for o in outlets:
            on = world.relay(o)
            if o not in lamps and o in self._relays and on != self._relays[o]:
                self.switches += 1
            self._relays[o] = on
        self.samples += 1


async def laptops_and_watch(running: RunningAgent, watch: Watch) -> None:
    """After each sample: the laptops post their battery as the bench's do, and the watch reads
    the world."""
    reports = agent_day.Reports(watch.day)
    controller = running.agent.controller
    while True:
        await running.agent.next_sample()
        for outlet_id in reports.due(running.world):
            status = running.world.battery(outlet_id)
            assert status is not None
            controller.report_battery(
                outlet_id, status.percent, status.plugged, running.agent.now()
            )
        watch.sample(running)


async def product_day(
    hass: HomeAssistant, start_test_agent: AgentFactory, day: Scenario
) -> tuple[agent_day.Figures, Watch]:
    """The day through the simulated agent and Home Assistant."""
    running = await start_test_agent(
        speed=SPEED,
        strip=strip_config(day),
        fleet=agent_day.fleet(day),
        max_power_w=agent_day.max_power_w(day),
    )
    world = running.world
    restore_budget_and_strategy(hass, day.budget_at(0.0), STRATEGY.value, "bench_day_strip")
    watch = Watch(day)
    task = asyncio.create_task(laptops_and_watch(running, watch))
    try:
        await setup_entries(hass, strip_entry(hass, running, **FAST_CYCLES))
        first = min(d.arrival_s for d in day.devices)
        # Planned before anyone arrives, as the bench's day is from its start.
        assert world.time_s < first, world.time_s
        while world.time_s < day.duration_s:
            await running.agent.next_sample()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return agent_day.figures(day, world), watch


# The world runs 60 times faster than real time: a second's stall of this shared machine is
# a minute of the day planned late, which has put the looks day at 53 and 57 switches against
# the bench's 30 (beside a benchmark run, and once in CI) where it otherwise makes 28 to 41.
# A day that fails is run once more, afresh.
@pytest.mark.flaky(reruns=1)
@pytest.mark.parametrize("day", [DAY, LOOKS_DAY], ids=["arrivals", "looks"])
async def test_a_bench_day_through_the_agent_and_home_assistant_gives_the_bench_figures(
    hass: HomeAssistant, start_test_agent: AgentFactory, day: Scenario
) -> None:
    bench: Outcome = run(day, EnginePolicy(STRATEGY))
    product, watch = await product_day(hass, start_test_agent, day)
    # The agent shows ``found_empty`` for a released look and for an outlet switched off when
    # its laptop left and its rating did not fit: the bench counts them apart.
    released = bench.looks_released + bench.vacated_off

    figures = (
        f"bench added {bench.delivered_wh - bench.initial_wh:.1f} Wh, "
        f"dead {bench.dead_minutes:.0f} min, over {bench.violation_wh:.3f} Wh, "
        f"{bench.switches} switches; product added {product.added_wh:.1f} Wh, "
        f"dead {product.dead_minutes:.0f} min, over {watch.over_budget_wh:.3f} Wh, "
        f"{watch.switches} switches, {watch.samples} samples, {watch.released} outlets released "
        f"(bench {bench.looks_released} looks, {bench.vacated_off} left)"
    )
    assert product.initial_wh == pytest.approx(bench.initial_wh)
    bench_added = bench.delivered_wh - bench.initial_wh
    low, high = ADDED_SHARE
    assert low * bench_added <= product.added_wh <= high * bench_added, figures
    assert abs(product.dead_minutes - bench.dead_minutes) <= DEAD_MINUTES_SLACK, figures
    assert watch.over_budget_wh <= OVER_BUDGET_WH, figures
    switches_slack = max(SWITCHES_SHARE * bench.switches, SWITCHES_SLACK)
    assert abs(watch.switches - bench.switches) <= switches_slack, figures
    # Empty outlets looked at while laptops wait: the agent releases those looks as the
    # bench's does (none on the first day, whose looks all find laptops).
    assert abs(watch.released - released) <= RELEASES_SLACK, figures
    if day is LOOKS_DAY:
        assert bench.looks_released >= 5, figures
