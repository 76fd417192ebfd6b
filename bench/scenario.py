"""Scenario files and a seeded generator of random ones.

Outlets are numbered 1..N as on the agent and in Home Assistant. A scenario holds the truth
about its laptops; what of it the engine may see is decided in ``bench.world`` (the strip's
configured outlet ratings, never the chargers' true draws; battery reports by the laptops that
send them; usual departures of users who gave one).
"""

from __future__ import annotations

from dataclasses import MISSING, asdict, dataclass, fields as dataclass_fields
import itertools
import math
from pathlib import Path
import random
from typing import Any

from pi_agent.sim.physics import LaptopSpec

from . import fields
from .fields import ScenarioError


def value_at(schedule: tuple[tuple[int, float], ...], t: float) -> float:
    """A piecewise-constant schedule's value at ``t``: ``(from_s, value)`` pairs, sorted."""
    watts = schedule[0][1]
    for start, value in schedule:
        if start <= t:
            watts = value
    return watts


BATTERY_VIA = ("reporter", "sensor")
#: What an installer rates an outlet at when the scenario does not say.
DEFAULT_OUTLET_MAX_W = 100.0


@dataclass(frozen=True, slots=True)
class Device:
    """One laptop's stay on one outlet."""

    id: str
    outlet: int
    arrival_s: int
    departure_s: int
    capacity_wh: float
    soc0: float
    target_soc: float
    charge_w: float
    use_w: float
    cv_soc: float
    efficiency: float
    reports_battery: bool
    departure_known: bool
    # How the battery reaches Home Assistant when ``reports_battery``: the laptop's reporter
    # (through the agent) or a Home Assistant battery sensor mapped to the outlet.
    battery_via: str = "reporter"
    # The user set a charge limit at ``target_soc`` (the product's setting), so the product
    # knows the target; otherwise it only scores the day.
    limit_set: bool = False

    def __post_init__(self) -> None:
        if self.battery_via not in BATTERY_VIA:
            raise ValueError(f"{self.id}: battery_via must be one of {BATTERY_VIA}")

    def counted_wh(self, soc: float) -> float:
        """The energy a charge of ``soc`` counts for in the day's figures: up to the target."""
        return self.capacity_wh * min(soc, self.target_soc)

    @property
    def spec(self) -> LaptopSpec:
        return LaptopSpec(
            capacity_wh=self.capacity_wh,
            charge_w=self.charge_w,
            use_w=self.use_w,
            cv_soc=self.cv_soc,
            efficiency=self.efficiency,
        )


@dataclass(frozen=True, slots=True)
class Lamp:
    """An always-on outlet (a lamp) and its constant draw."""

    outlet: int
    power_w: float


@dataclass(frozen=True, slots=True)
class Scenario:
    """A strip's day: budget over time, exception outlets and laptops."""

    name: str
    step_s: int
    duration_s: int
    outlets: int
    budget_w: tuple[tuple[int, float], ...]
    exceptions: tuple[Lamp, ...]
    devices: tuple[Device, ...]
    # The strip's configured rating of its outlets: one number for all, or one per outlet.
    outlet_max_power_w: float | tuple[float, ...] = DEFAULT_OUTLET_MAX_W
    # How late a Home Assistant battery sensor follows the laptop's real charge.
    sensor_lag_s: float = 300.0

    @property
    def steps(self) -> int:
        return math.ceil(self.duration_s / self.step_s)

    def budget_at(self, t: float) -> float:
        """The piecewise-constant budget in force at time ``t``."""
        return value_at(self.budget_w, t)

    def exceptions_w(self) -> float:
        return sum(e.power_w for e in self.exceptions)

    @property
    def outlet_ids(self) -> range:
        return range(1, self.outlets + 1)

    def outlet_ratings(self) -> dict[int, float]:
        """Each outlet's configured maximum, as the strip's installer set it (exception
        outlets are rated at their own draw by the bench's agent)."""
        ratings = self.outlet_max_power_w
        if isinstance(ratings, tuple):
            return dict(zip(self.outlet_ids, ratings, strict=True))
        return dict.fromkeys(self.outlet_ids, float(ratings))

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "step_s": self.step_s,
            "duration_s": self.duration_s,
            "outlets": self.outlets,
            "budget_w": [list(b) for b in self.budget_w],
            "exceptions": [asdict(e) for e in self.exceptions],
            "devices": [asdict(d) for d in self.devices],
            "outlet_max_power_w": list(self.outlet_max_power_w)
            if isinstance(self.outlet_max_power_w, tuple)
            else self.outlet_max_power_w,
            "sensor_lag_s": self.sensor_lag_s,
        }


#: The most outlets a strip has (the agent's ``MAX_OUTLETS``).
MAX_OUTLETS = 16
#: The largest budget: the agent's (``pi_agent.api.validation.MAX_BUDGET_W``); far beyond it
#: the engine's knapsack cannot hold the budget.
MAX_BUDGET_W = 100_000.0
#: The most one outlet's rating, charger, laptop or lamp may take: all a strip carries (the
#: agent's ``MAX_STRIP_W``). Far beyond it sums of draws lose the small ones (a laptop using
#: 1e17 W on a 65 W charger draws 0), and ACN-Sim's round robin, which raises pilots a watt at
#: a time, takes about a second a step at this much.
MAX_OUTLET_W = 7_400.0
#: The largest battery (100 kWh, a car's): the LP bound holds each charge as a fraction to
#: HiGHS's tolerance, so its error in Wh grows with the battery (at 1e12 Wh, past the energy
#: that could be added, and every ratio with it).
MAX_CAPACITY_WH = 100_000.0

_DEVICE_FIELDS = tuple(f.name for f in dataclass_fields(Device))
_DEVICE_REQUIRED = tuple(
    f.name
    for f in dataclass_fields(Device)
    if f.default is MISSING and f.default_factory is MISSING
)


def _device(where: str, value: object) -> Device:
    """One laptop's stay: every field present, known and within its physical range."""
    d = fields.object_(where, value)
    unknown = sorted(set(d) - set(_DEVICE_FIELDS))
    if unknown:
        raise ScenarioError(
            f"{where}: unknown field(s) {unknown}; a device has {list(_DEVICE_FIELDS)}"
        )
    missing = [name for name in _DEVICE_REQUIRED if name not in d]
    if missing:
        raise ScenarioError(f"{where}: missing field(s) {missing}")
    if not isinstance(d["id"], str) or not d["id"]:
        raise ScenarioError(f"{where}.id: expected a non-empty string, got {d['id']!r}")
    where = f"{where} ({d['id']})"
    via = d.get("battery_via", "reporter")
    if via not in BATTERY_VIA:
        raise ScenarioError(f"{where}.battery_via: expected one of {BATTERY_VIA}, got {via!r}")
    return Device(
        id=d["id"],
        outlet=fields.whole(f"{where}.outlet", d["outlet"]),
        arrival_s=fields.whole(f"{where}.arrival_s", d["arrival_s"]),
        departure_s=fields.whole(f"{where}.departure_s", d["departure_s"]),
        capacity_wh=fields.number(
            f"{where}.capacity_wh", d["capacity_wh"], above=0, high=MAX_CAPACITY_WH
        ),
        soc0=fields.number(f"{where}.soc0", d["soc0"], low=0, high=1),
        target_soc=fields.number(f"{where}.target_soc", d["target_soc"], high=1, above=0),
        charge_w=fields.number(f"{where}.charge_w", d["charge_w"], above=0, high=MAX_OUTLET_W),
        use_w=fields.number(f"{where}.use_w", d["use_w"], low=0, high=MAX_OUTLET_W),
        # Below 1: the taper runs from ``cv_soc`` to full, so it needs room.
        cv_soc=fields.number(f"{where}.cv_soc", d["cv_soc"], above=0, below=1),
        efficiency=fields.number(f"{where}.efficiency", d["efficiency"], high=1, above=0),
        reports_battery=fields.flag(f"{where}.reports_battery", d["reports_battery"]),
        departure_known=fields.flag(f"{where}.departure_known", d["departure_known"]),
        battery_via=via,
        limit_set=fields.flag(f"{where}.limit_set", d.get("limit_set", False)),
    )


def parse(data: object, *, name: str | None = None) -> Scenario:
    """Validate a scenario dict: every field typed and in range, outlets in 1..N, stays not
    overlapping on an outlet; ``name`` when the data has none (a file's stem).

    Raises ``ScenarioError`` naming the first bad field. A device field the bench does not
    know is an error (a misspelt ``limit_set`` would silently change the day); a top-level
    one is ignored, as it always was.
    """
    top = fields.object_("scenario", data)
    missing = [
        k for k in ("step_s", "duration_s", "outlets", "budget_w", "devices") if k not in top
    ]
    if "name" not in top and name is None:
        missing.insert(0, "name")
    if missing:
        raise ScenarioError(f"scenario: missing field(s) {missing}")
    outlets = fields.whole("outlets", top["outlets"], low=1, high=MAX_OUTLETS)
    ratings = top.get("outlet_max_power_w", DEFAULT_OUTLET_MAX_W)
    if isinstance(ratings, list):
        if len(ratings) != outlets:
            raise ScenarioError(
                f"outlet_max_power_w: one number, or one per outlet ({outlets}), got {len(ratings)}"
            )
        rated: float | tuple[float, ...] = tuple(
            fields.number(f"outlet_max_power_w[{i}]", w, above=0, high=MAX_OUTLET_W)
            for i, w in enumerate(ratings)
        )
    else:
        rated = fields.number("outlet_max_power_w", ratings, above=0, high=MAX_OUTLET_W)
    step_s = fields.whole("step_s", top["step_s"], low=1, high=3600)
    scenario = Scenario(
        name=str(top.get("name", name)),
        step_s=step_s,
        duration_s=fields.whole("duration_s", top["duration_s"], low=step_s, high=7 * 86400),
        outlets=outlets,
        budget_w=fields.schedule("budget_w", top["budget_w"], high=MAX_BUDGET_W),
        exceptions=tuple(
            Lamp(
                fields.whole(
                    f"exceptions[{i}].outlet", fields.object_(f"exceptions[{i}]", e).get("outlet")
                ),
                fields.number(
                    f"exceptions[{i}].power_w", e.get("power_w"), low=0, high=MAX_OUTLET_W
                ),
            )
            for i, e in enumerate(fields.list_("exceptions", top.get("exceptions", [])))
        ),
        devices=tuple(
            _device(f"devices[{i}]", d)
            for i, d in enumerate(fields.list_("devices", top["devices"]))
        ),
        outlet_max_power_w=rated,
        sensor_lag_s=fields.number("sensor_lag_s", top.get("sensor_lag_s", 300.0), low=0),
    )
    taken: set[int] = set()
    for e in scenario.exceptions:
        if e.outlet not in scenario.outlet_ids or e.outlet in taken:
            raise ScenarioError(f"exception outlet {e.outlet}: not in 1..{outlets}, or twice")
        taken.add(e.outlet)
    ids: set[str] = set()
    by_outlet: dict[int, list[Device]] = {}
    for i, d in enumerate(scenario.devices):
        if d.id in ids:
            raise ScenarioError(f"{d.id}: two devices have this id")
        ids.add(d.id)
        if d.outlet not in scenario.outlet_ids or d.outlet in taken:
            raise ScenarioError(
                f"{d.id}: outlet {d.outlet} is not a balanced outlet (1..{outlets})"
            )
        if d.departure_s <= d.arrival_s:
            raise ScenarioError(f"{d.id}: leaves before it arrives")
        # A stay may run past the day's end (its charge then is what counts); one that begins
        # at or after it would be outside the LP bound while its charge counted as delivered.
        if d.arrival_s >= scenario.duration_s:
            raise ScenarioError(
                f"devices[{i}] ({d.id}).arrival_s: expected before the day's end "
                f"(duration_s {scenario.duration_s}), got {d.arrival_s}"
            )
        by_outlet.setdefault(d.outlet, []).append(d)
    for stays in by_outlet.values():
        stays.sort(key=lambda d: d.arrival_s)
        for a, b in itertools.pairwise(stays):
            if b.arrival_s < a.departure_s:
                raise ScenarioError(f"{a.id} and {b.id} overlap on outlet {a.outlet}")
    return scenario


def load(path: Path) -> Scenario:
    """A scenario file; ``ScenarioError`` (with the file's name) if it cannot be read or run."""
    return fields.load_file(path, lambda data, name: parse(data, name=name))


def peak_demand_w(devices: tuple[Device, ...] | list[Device], step_s: int = 60) -> float:
    """The most the fleet would draw with every outlet on: the peak over time of the summed
    constant-power draws of the laptops present."""
    times = sorted({d.arrival_s for d in devices})
    return max(
        (
            sum(d.spec.max_draw_w for d in devices if d.arrival_s <= t < d.departure_s)
            for t in times
        ),
        default=0.0,
    )


def generate(seed: int, *, step_s: int = 60) -> Scenario:
    """A random congested strip day: fleet, budget, arrivals and knowledge drawn from ``seed``.

    The ranges are a coworking's, not the shipped scenarios': 6-16 busy outlets with up to
    three stays each, 45-140 W chargers, 40-100 Wh, 60 % reporting their battery (a third of
    them through a Home Assistant sensor), 50 % with a usual departure, a lamp half the time.
    Every outlet carries the installer's one rating (170, 200 or 250 W: at least the largest
    charger's draw, 140 W / 0.85). The budget is 20-60 % of the fleet's peak demand (all
    outlets on), so most days are congested, but never below what the largest outlet needs
    (with 10 % to spare); sometimes it changes mid-day (x0.5-1.3).
    """
    rng = random.Random(seed)
    hours = rng.choice([4, 6, 8])
    duration = hours * 3600
    outlets = 16
    lamp = rng.random() < 0.5
    rating = rng.choice([170.0, 200.0, 250.0])
    exceptions = (Lamp(16, round(rng.uniform(8, 40), 1)),) if lamp else ()
    free = list(range(1, 16 if lamp else 17))
    rng.shuffle(free)
    devices: list[Device] = []
    n_outlets = rng.randint(6, len(free))
    for k, outlet in enumerate(free[:n_outlets]):
        t = 0 if rng.random() < 0.4 else rng.randrange(0, duration // 2, step_s)
        stays = 0
        while t < duration - 1800 and stays < 3:
            stay = rng.randrange(3600, max(3601, duration - t + 1), step_s)
            leave = min(duration, t + stay)
            charger = rng.choice([45.0, 60.0, 65.0, 65.0, 90.0, 100.0, 140.0])
            capacity = round(rng.uniform(40, 100), 1)
            devices.append(
                Device(
                    id=f"r{seed}-{k}-{stays}",
                    outlet=outlet,
                    arrival_s=t,
                    departure_s=leave,
                    capacity_wh=capacity,
                    soc0=round(rng.uniform(0.05, 0.9), 3),
                    target_soc=rng.choice([0.8, 0.9, 1.0, 1.0]),
                    charge_w=charger,
                    use_w=round(rng.uniform(5, 25), 1),
                    cv_soc=round(rng.uniform(0.75, 0.85), 2),
                    efficiency=round(rng.uniform(0.85, 0.92), 2),
                    reports_battery=rng.random() < 0.6,
                    departure_known=rng.random() < 0.5,
                    battery_via="sensor" if rng.random() < 1 / 3 else "reporter",
                )
            )
            stays += 1
            t = leave + rng.randrange(0, 3600, step_s)
    share = rng.uniform(0.2, 0.6)
    lamps_w = sum(e.power_w for e in exceptions)
    budget = round(share * peak_demand_w(devices) + lamps_w, -1)
    # A relay outlet is all or nothing: a budget that cannot carry the largest charger at
    # full power (a misconfigured strip: the agent would never admit that outlet) leaves
    # that laptop unpowerable by any relay policy, while the LP relaxation would still
    # count it, so the budget always carries the largest outlet with 10 % to spare (at its
    # rating: an outlet never seen drawing is admitted only at it).
    largest = max([rating, *(d.spec.max_draw_w for d in devices)])
    floor = math.ceil((1.1 * largest + lamps_w) / 10.0) * 10.0
    budget = max(budget, floor)
    schedule: list[tuple[int, float]] = [(0, budget)]
    if rng.random() < 0.3:
        schedule.append(
            (
                rng.randrange(duration // 4, 3 * duration // 4, step_s),
                max(floor, round(budget * rng.uniform(0.5, 1.3), -1)),
            )
        )
    return Scenario(
        name=f"random-{seed}",
        step_s=step_s,
        duration_s=duration,
        outlets=outlets,
        budget_w=tuple(schedule),
        exceptions=exceptions,
        devices=tuple(devices),
        outlet_max_power_w=rating,
    )
