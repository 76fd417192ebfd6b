"""A simulated hour of one strip balanced by Home Assistant against the real simulated agent.

The world runs 120 times faster than real time (an hour in 30 s); the agent's relay timing, its
guard's hold and Home Assistant's cycles stay in real time. The strategy is battery_priority:
it ranks on the laptops' reported batteries, which makes "the emptiest first" a plain check
(``test_bench_day_end_to_end`` runs ``smart`` against the bench's figures).
"""

from __future__ import annotations

import asyncio
import contextlib

from homeassistant.core import HomeAssistant

from pi_agent.config import StripConfig
from pi_agent.sim.fleet import Laptop

from .conftest import (
    FAST_CYCLES,
    AgentFactory,
    DrawRecord,
    record_draws,
    restore_budget_and_strategy,
    run_reporters,
    setup_entries,
    strip_entry,
)
from .simulated_hour_support import HOUR_S, METER_TOLERANCE, SPEED

BUDGET_W = 300.0  # the lamp (40 W) and two or three of the seven laptops
STRIP = StripConfig(
    name="Coworking strip",
    hard_limit_w=1000.0,
    failsafe_budget_w=BUDGET_W,  # before Home Assistant's first plan, too
    min_on_s=4.0,
    min_off_s=2.0,
    stagger_s=0.2,
    settle_s=0.5,
)


async def test_a_simulated_hour_stays_in_budget_and_charges_the_emptiest_laptops_first(
    hass: HomeAssistant, start_test_agent: AgentFactory
) -> None:
    agent = await start_test_agent(seed=3, speed=SPEED, outlets=8, strip=STRIP)
    world = agent.world
    laptops = [i for i in range(1, world.outlets + 1) if isinstance(world.occupant(i), Laptop)]
    assert all(world.occupant(i).stay_s > 1.2 * HOUR_S for i in laptops)  # nobody leaves
    start_soc = {i: world.soc(i) for i in laptops}
    restore_budget_and_strategy(hass, BUDGET_W, "battery_priority", "coworking_strip")
    record = DrawRecord()
    tasks = [
        asyncio.create_task(run_reporters(agent, interval_s=0.5)),
        asyncio.create_task(record_draws(agent, [agent], record)),
    ]
    try:
        await setup_entries(hass, strip_entry(hass, agent, **FAST_CYCLES))
        start_wh = {i: world.energy_wh(i) for i in laptops}
        start_s = world.time_s
        was_on = {i for i in laptops if world.relay(i)}  # the failsafe's choice
        switched_on: list[int] = []  # laptops in the order the plan first switched them on
        while world.time_s - start_s < HOUR_S:
            await agent.agent.next_sample()
            for i in laptops:
                if world.relay(i) and i not in was_on:
                    was_on.add(i)
                    switched_on.append(i)
    finally:
        for task in tasks:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks)

    # No sample over budget beyond the guard's hold (plus the sample that sees it end).
    hold = STRIP.hold_s + 2 * STRIP.sample_period_s
    assert len(record.samples) > 100
    assert [run for run in record.over(BUDGET_W, METER_TOLERANCE) if run > hold] == []

    # The first laptop switched on is the emptiest; over the hour the three emptiest each got
    # more energy than any of the three fullest, and all three charged.
    by_soc = sorted(laptops, key=start_soc.__getitem__)
    assert switched_on[0] == by_soc[0]
    gained = {i: world.energy_wh(i) - start_wh[i] for i in laptops}
    assert min(gained[i] for i in by_soc[:3]) > max(gained[i] for i in by_soc[-3:])
    assert all(world.soc(i) > start_soc[i] for i in by_soc[:3])
