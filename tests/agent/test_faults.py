"""Faults injected into the simulated hardware: the strip stays within its limit and says why."""

from __future__ import annotations

from dataclasses import replace

from pi_agent.api.views import outlet_view
from pi_agent.control.plan import Plan
from pi_agent.control.strip import StripController
from pi_agent.sim.hardware import MeterFault, SimMeter, SimRelay
from pi_agent.simulation import SIM_STRIP, simulated

STRIP = replace(SIM_STRIP, hard_limit_w=600.0, failsafe_budget_w=400.0, stagger_s=0.2)


class SimStrip:
    """The simulated strip stepped by hand: true draws come from the world, not the meters."""

    def __init__(self, seed: int = 3) -> None:
        self.config, self.hardware, self.world = simulated(STRIP, seed=seed, speed=1.0, outlets=16)
        self.now = 0.0
        self.controller = StripController(
            self.config, self.hardware.relays, wall_clock=lambda: 1.8e9 + self.now
        )
        self.period = self.config.strip.sample_period_s
        self.true_totals: list[float] = []

    def meter(self, outlet_id: int) -> SimMeter:
        meter = self.hardware.meters[outlet_id]
        assert isinstance(meter, SimMeter)
        return meter

    def relay(self, outlet_id: int) -> SimRelay:
        relay = self.hardware.relays[outlet_id - 1]
        assert isinstance(relay, SimRelay)
        return relay

    def plan(self, on: list[int], *, budget_w: float, ttl_s: float = 3600) -> None:
        self.controller.apply_plan(
            Plan(
                on=frozenset(on),
                priority=tuple(on),
                budget_w=budget_w,
                ttl_s=ttl_s,
                received_at=self.now,
                received_wall=1.8e9 + self.now,
            )
        )

    def run(self, seconds: float, dt: float | None = None) -> None:
        for _ in range(round(seconds / (dt or self.period))):
            self.step(dt)

    def step(self, dt: float | None = None) -> None:
        dt = self.period if dt is None else dt
        self.world.advance(max(dt, 0.0))
        self.now += dt
        self.controller.step(self.now, self.hardware.read_all())
        self.true_totals.append(sum(self.world.draw_w(i) for i in range(1, 17)))

    def on(self) -> set[int]:
        return {o.id for o in self.controller.outlets if o.relay_on and not o.exception}

    def view(self, outlet_id: int) -> dict[str, object]:
        return outlet_view(self.controller, self.controller.outlet(outlet_id), self.now)


def charging_strip() -> SimStrip:
    strip = SimStrip()
    strip.plan(list(range(1, 16)), budget_w=600)
    strip.run(30)
    assert len(strip.on()) >= 3
    return strip


def test_meter_bus_errors_keep_the_strip_under_its_limit_and_show_the_fault() -> None:
    strip = charging_strip()
    faulty = sorted(strip.on())[:2]
    for outlet_id in faulty:
        strip.meter(outlet_id).inject(MeterFault.BUS_ERROR)
    strip.true_totals.clear()
    strip.run(30)
    assert max(strip.true_totals) <= 600
    for outlet_id in faulty:
        assert "bus error" in str(strip.view(outlet_id)["fault"])
        assert strip.view(outlet_id)["state"] == "fault"
    for outlet_id in faulty:
        strip.meter(outlet_id).inject(None)
    strip.step()
    assert all(strip.view(i)["fault"] is None for i in faulty)


def test_a_faulted_meter_counts_at_max_so_the_guard_makes_room() -> None:
    strip = charging_strip()
    for outlet_id in sorted(strip.on()):
        strip.meter(outlet_id).inject(MeterFault.OVERFLOW)
    strip.run(3)
    counted = sum(strip.controller.outlet(i).max_power_w for i in strip.on())
    assert counted + 40 <= 600  # faulted outlets at their max, plus the lamp, fit the limit
    assert strip.controller.guard.trips >= 1
    assert "overflow" in str(strip.view(min(strip.on()))["fault"])


def test_a_relay_that_refuses_to_switch_off_is_a_fault_and_others_are_shed() -> None:
    strip = charging_strip()
    stuck = min(strip.on())
    strip.relay(stuck).stick(True, raises=True)
    strip.plan([], budget_w=300)  # everything should go off; the stuck one cannot
    strip.run(70)  # past the minimum on time: every relay is asked to switch off
    assert "relay" in str(strip.view(stuck)["fault"])
    assert strip.world.relay(stuck)
    assert max(strip.true_totals[-20:]) <= 300  # the guard went past it to the next outlets


def test_a_welded_relay_is_reported_and_its_draw_counted() -> None:
    strip = charging_strip()
    welded = min(strip.on())
    strip.relay(welded).stick(True)  # set() succeeds, the contact stays closed
    strip.controller.set_override(welded, False)
    strip.run(70)  # past the minimum on time
    assert not strip.controller.outlet(welded).relay_on  # commanded off...
    assert strip.world.relay(welded)  # ...but still powered
    assert str(strip.view(welded)["fault"]).startswith("relay stuck on")
    assert max(strip.true_totals[-50:]) <= 600
    strip.relay(welded).unstick()
    strip.run(1)
    assert strip.view(welded)["fault"] is None


def test_a_clock_jump_neither_inflates_energy_nor_breaks_the_plans_expiry() -> None:
    strip = charging_strip()
    before = strip.controller.energy_total_wh()
    strip.step(dt=7200)  # suspended for two hours
    assert strip.controller.energy_total_wh() - before <= 600 * 5 / 3600
    assert strip.controller.mode == "failsafe"  # the hour's plan ran out while suspended
    assert strip.true_totals[-1] <= STRIP.failsafe_budget_w
    strip.step(dt=-30)  # and backwards
    assert strip.controller.energy_total_wh() >= before


def test_plan_expiry_falls_back_to_failsafe_within_the_ttl_and_back_on_a_new_plan() -> None:
    strip = SimStrip()
    strip.plan(list(range(1, 16)), budget_w=600, ttl_s=30)
    strip.run(29.8)
    assert strip.controller.mode == "planned"
    strip.run(0.4)
    assert strip.controller.mode == "failsafe"  # at the first sample past the plan's ttl
    strip.true_totals.clear()
    strip.run(120)
    assert max(strip.true_totals) <= STRIP.failsafe_budget_w
    strip.plan([1, 2], budget_w=600)
    strip.step()
    assert strip.controller.mode == "planned"
