"""A strip controller on mock GPIO pins, stepped by hand with an explicit clock.

Meters are replaced by the loads the test declares: an outlet whose relay is on reads its load,
an outlet whose relay is off reads 0 W (unless the test says its meter fails).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from gpiozero.pins.mock import MockFactory

from pi_agent.config import AgentConfig, MeterConfig, OutletConfig, StripConfig
from pi_agent.control.plan import Plan
from pi_agent.control.strip import StripController
from pi_agent.hardware.base import MeterError, Reading
from pi_agent.hardware.relays import GpioRelay

VOLTS = 230.0
WALL0 = 1_800_000_000.0
STRIP = StripConfig(
    hard_limit_w=1000.0,
    failsafe_budget_w=400.0,
    hold_s=1.0,
    min_on_s=60.0,
    min_off_s=30.0,
    stagger_s=0.0,
    settle_s=2.0,
    sample_hz=5.0,
    failsafe_rotation_s=300.0,
)


class Harness:
    def __init__(
        self,
        outlets: int = 4,
        *,
        max_power_w: float = 100.0,
        exceptions: Iterable[int] = (),
        strip: StripConfig = STRIP,
        loads: Mapping[int, float] | None = None,
        **strip_changes: float,
    ) -> None:
        exceptions = set(exceptions)
        self.config = AgentConfig(
            strip=replace(strip, **strip_changes),
            outlets=tuple(
                OutletConfig(
                    id=i,
                    name=f"Outlet {i}",
                    max_power_w=max_power_w,
                    exception=i in exceptions,
                    # BCM 4 on: 2 and 3 are I2C bus 1's SDA and SCL, which the meters use.
                    gpio=i + 3,
                    meter=MeterConfig(type="ina219", address=0x3F + i),
                )
                for i in range(1, outlets + 1)
            ),
        )
        self.factory = MockFactory()
        self.relays = [
            GpioRelay(o.gpio or 0, active_high=False, pin_factory=self.factory)
            for o in self.config.outlets
        ]
        self.now = 0.0
        # What the wall clock reads beyond the monotonic one: NTP steps it, the monotonic
        # clock never moves but forward.
        self.wall_offset = WALL0
        self.controller = StripController(self.config, self.relays, wall_clock=self.wall)
        self.loads: dict[int, float] = dict(loads or {})
        self.failing: dict[int, MeterError] = {}
        self.silent: set[int] = set()  # meters that stopped answering (stale)
        self.period = self.config.strip.sample_period_s

    def wall(self) -> float:
        return self.now + self.wall_offset

    def readings(self) -> dict[int, Reading | MeterError]:
        result: dict[int, Reading | MeterError] = {}
        for outlet in self.controller.outlets:
            if outlet.id in self.silent:
                continue
            if outlet.id in self.failing:
                result[outlet.id] = self.failing[outlet.id]
                continue
            watts = self.loads.get(outlet.id, 0.0) if outlet.relay_on else 0.0
            result[outlet.id] = Reading(VOLTS, watts / VOLTS, watts)
        return result

    def step(self, dt: float | None = None) -> None:
        self.now += self.period if dt is None else dt
        self.controller.step(self.now, self.readings())

    def run(self, seconds: float) -> list[float]:
        """Step for ``seconds``; return the measured total after each sample."""
        totals = []
        for _ in range(round(seconds / self.period)):
            self.step()
            totals.append(self.measured_total())
        return totals

    def measured_total(self) -> float:
        return sum(self.loads.get(o.id, 0.0) for o in self.controller.outlets if o.relay_on)

    def on(self) -> set[int]:
        return {o.id for o in self.controller.outlets if o.relay_on}

    def pin_level(self, outlet_id: int) -> bool:
        gpio = self.config.outlet(outlet_id).gpio
        assert gpio is not None
        return bool(self.factory.pin(gpio).state)

    def plan(
        self,
        on: Iterable[int],
        priority: Iterable[int] | None = None,
        *,
        budget_w: float = 1000.0,
        ttl_s: float = 3600.0,
        **kwargs: object,
    ) -> Plan:
        on = list(on)
        plan = Plan(
            on=frozenset(on),
            priority=tuple(on if priority is None else priority),
            budget_w=budget_w,
            ttl_s=ttl_s,
            received_at=self.now,
            received_wall=self.wall(),
            **kwargs,  # type: ignore[arg-type]
        )
        self.controller.apply_plan(plan)
        return plan
