"""With no plan, the strip shares the failsafe budget fairly on its own."""

from __future__ import annotations

from dataclasses import replace

from pi_agent.control.strip import StripController
from pi_agent.simulation import SIM_STRIP, simulated

from .harness import Harness


def test_failsafe_gives_every_outlet_turns_under_the_budget() -> None:
    harness = Harness(
        15, max_power_w=100, loads=dict.fromkeys(range(1, 16), 95.0), failsafe_budget_w=450
    )
    on_time = dict.fromkeys(range(1, 16), 0.0)
    worst = 0.0
    for _ in range(round(3600 / harness.period)):
        harness.step()
        worst = max(worst, harness.measured_total())
        for outlet_id in harness.on():
            on_time[outlet_id] += harness.period
    assert worst <= 450
    assert min(on_time.values()) >= 0.5 * max(on_time.values())
    assert sum(on_time.values()) >= 0.9 * 4 * 3600  # 4 of 95 W fit 450 W nearly all the time


def test_idle_outlets_give_their_headroom_to_the_next_in_line() -> None:
    harness = Harness(4, max_power_w=100, loads={1: 1.0, 2: 95.0, 3: 95.0}, failsafe_budget_w=250)
    harness.run(20)
    assert harness.on() >= {2, 3}  # outlet 1 draws nothing, so outlets 2 and 3 both fit


def test_failsafe_keeps_simulated_laptops_under_the_budget_and_charging() -> None:
    strip = replace(SIM_STRIP, failsafe_budget_w=450.0, failsafe_rotation_s=300.0)
    config, hardware, world = simulated(strip, seed=7, speed=1.0, outlets=16)
    controller = StripController(config, hardware.relays, wall_clock=lambda: 0.0)
    period = config.strip.sample_period_s
    now, worst, charged = 0.0, 0.0, set()
    start_soc = {i: world.soc(i) for i in range(1, 17)}
    for _ in range(round(1800 / period)):
        world.advance(period)
        now += period
        controller.step(now, hardware.read_all())
        worst = max(worst, sum(world.draw_w(i) for i in range(1, 17)))
        charged |= {o.id for o in controller.outlets if o.relay_on and not o.exception}
    assert worst <= 450 + 1e-6
    assert charged == set(range(1, 16))  # every laptop outlet had at least one turn
    assert any(
        (world.soc(i) or 0) > (start_soc[i] or 0) for i in range(1, 16)
    )  # and batteries went up
