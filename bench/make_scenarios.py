"""Writes the shipped scenarios (bench/scenarios/*.json) from fixed seeds; rerun to refresh.

Outlets are numbered 1..16 as on the agent. Every strip's outlets carry one installer's rating:
100 W (the USB-C PD ceiling, the format's default) where the chargers are 45-65 W, 170 W on the
day with 140 W chargers.
"""

from __future__ import annotations

import json
from pathlib import Path
import random

from .scenario import Device, Lamp, Scenario

HERE = Path(__file__).resolve().parent / "scenarios"
HOUR = 3600


def _laptop(  # noqa: PLR0917 - a row of a table
    rng: random.Random,
    ident: str,
    outlet: int,
    arrive: int,
    leave: int,
    charger: float | None = None,
) -> Device:
    return Device(
        id=ident,
        outlet=outlet,
        arrival_s=arrive,
        departure_s=leave,
        capacity_wh=round(rng.uniform(45, 90), 1),
        soc0=round(rng.uniform(0.08, 0.7), 3),
        target_soc=rng.choice([0.8, 1.0, 1.0]),
        charge_w=charger if charger is not None else rng.choice([45.0, 60.0, 65.0, 65.0]),
        use_w=round(rng.uniform(6, 20), 1),
        cv_soc=round(rng.uniform(0.75, 0.85), 2),
        efficiency=round(rng.uniform(0.86, 0.92), 2),
        reports_battery=rng.random() < 0.6,
        departure_known=rng.random() < 0.5,
    )


def lecture() -> Scenario:
    """16 students sit down within five minutes for 1 h 45; 300 W for all of them."""
    rng = random.Random(1)
    devices = [
        _laptop(rng, f"student{i}", i + 1, 60 * rng.randrange(0, 6), int(1.75 * HOUR))
        for i in range(16)
    ]
    return Scenario("lecture", 60, int(1.75 * HOUR), 16, ((0, 300.0),), (), tuple(devices))


def coworking_day() -> Scenario:
    """15 laptops come and go over ten hours on 400 W; a desk lamp stays on."""
    rng = random.Random(2)
    devices = []
    for i in range(15):
        t = 60 * rng.randrange(0, 120)
        k = 0
        while t < 9 * HOUR and k < 2:
            leave = min(10 * HOUR, t + 60 * rng.randrange(90, 300))
            devices.append(_laptop(rng, f"desk{i}-{k}", i + 1, t, leave))
            t = leave + 60 * rng.randrange(10, 90)
            k += 1
    return Scenario(
        "coworking_day", 60, 10 * HOUR, 16, ((0, 400.0),), (Lamp(16, 18.0),), tuple(devices)
    )


def budget_halves() -> Scenario:
    """A day whose budget halves at noon (a tariff change): 640 W, then 320 W."""
    rng = random.Random(3)
    devices = [
        _laptop(rng, f"worker{i}", i + 1, 60 * rng.randrange(0, 90), 60 * rng.randrange(300, 480))
        for i in range(14)
    ]
    return Scenario(
        "budget_halves_at_noon",
        60,
        8 * HOUR,
        16,
        ((0, 640.0), (4 * HOUR, 320.0)),
        (),
        tuple(devices),
    )


def mixed_chargers() -> Scenario:
    """45-140 W chargers side by side on 520 W: the knapsack matters."""
    rng = random.Random(4)
    chargers = [45.0, 65.0, 90.0, 100.0, 140.0]
    devices = [
        _laptop(
            rng,
            f"mixed{i}",
            i + 1,
            60 * rng.randrange(0, 60),
            60 * rng.randrange(180, 360),
            chargers[i % 5],
        )
        for i in range(14)
    ]
    return Scenario(
        "mixed_chargers",
        60,
        6 * HOUR,
        16,
        ((0, 520.0),),
        (Lamp(16, 30.0),),
        tuple(devices),
        outlet_max_power_w=170.0,
    )


def uncongested() -> Scenario:
    """Eight laptops on 1000 W: every one must reach its target."""
    rng = random.Random(5)
    devices = [
        _laptop(rng, f"calm{i}", i + 1, 60 * rng.randrange(0, 60), 60 * rng.randrange(240, 360))
        for i in range(8)
    ]
    return Scenario("uncongested", 60, 6 * HOUR, 16, ((0, 1000.0),), (), tuple(devices))


def main() -> None:
    HERE.mkdir(exist_ok=True)
    for make in (lecture, coworking_day, budget_halves, mixed_chargers, uncongested):
        scenario = make()
        (HERE / f"{scenario.name}.json").write_text(json.dumps(scenario.to_json(), indent=1) + "\n")


if __name__ == "__main__":
    main()
