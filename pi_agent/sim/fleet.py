"""What is plugged into the simulated strip: a data description the world replays.

A fleet is plain frozen data (who sits at which outlet at the start, and how laptops come and go
over the day) so tests, the demo and the benchmarks can describe their own worlds without
subclassing anything; ``default_fleet`` is the coworking day the agent runs against by default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import math
from random import Random
from typing import TypeAlias

from pi_agent.sim.physics import LaptopSpec

#: Made-up owners; the world never seats two laptops of the same owner at once.
OWNERS: tuple[str, ...] = (
    "Amina Kaci",
    "Bastien Lemoine",
    "Chloé Martin",
    "Dmitri Volkov",
    "Elif Yilmaz",
    "Farid Benali",
    "Giulia Rossi",
    "Hugo Bernard",
    "Inès Moreau",
    "Jonas Berg",
    "Kenji Sato",
    "Léa Fontaine",
    "Mateo García",
    "Nadia Haddad",
    "Oscar Lindqvist",
    "Priya Raman",
    "Quentin Roux",
    "Rosa Almeida",
    "Samuel Okafor",
    "Tess Duval",
    "Ugo Ferrand",
    "Valentina Costa",
    "Wen Li",
    "Xavier Perrin",
    "Yasmine Cherif",
    "Zoé Lambert",
    "Arthur Nguyen",
    "Camille Petit",
    "Lucas Girard",
    "Maya Cohen",
    "Noah Fischer",
    "Sofia Ivanova",
)


@dataclass(frozen=True, slots=True)
class Laptop:
    """One laptop's visit to an outlet: who it is, its hardware, its charge on arrival, its stay."""

    laptop_id: str
    owner: str
    spec: LaptopSpec
    soc: float
    stay_s: float | None = None  # None: never leaves

    def __post_init__(self) -> None:
        if self.soc > 1.0:
            raise ValueError(f"soc must be at most 1, got {self.soc}")
        if self.stay_s is not None and self.stay_s <= 0:
            raise ValueError(f"stay_s must be positive, got {self.stay_s}")


@dataclass(frozen=True, slots=True)
class Lamp:
    """A constant load (lamp, screen): the kind of device an exception outlet holds."""

    power_w: float

    def __post_init__(self) -> None:
        if self.power_w <= 0:
            raise ValueError(f"power_w must be positive, got {self.power_w}")


@dataclass(frozen=True, slots=True)
class LaptopClass:
    """A family of laptops whose battery, charger and use go together (an ultrabook never ships
    with a 140 W charger), so a random fleet looks like a real room rather than noise."""

    name: str
    weight: float
    capacity_wh: tuple[float, float]
    charger_w: tuple[float, ...]
    use_w: tuple[float, float]


DEFAULT_CLASSES: tuple[LaptopClass, ...] = (
    LaptopClass(
        "ultrabook", 0.45, capacity_wh=(40.0, 60.0), charger_w=(45.0, 65.0), use_w=(6.0, 12.0)
    ),
    LaptopClass(
        "mainstream",
        0.35,
        capacity_wh=(50.0, 75.0),
        charger_w=(65.0, 90.0, 100.0),
        use_w=(9.0, 18.0),
    ),
    LaptopClass(
        "workstation", 0.20, capacity_wh=(80.0, 100.0), charger_w=(100.0, 140.0), use_w=(15.0, 30.0)
    ),
)


@dataclass(frozen=True, slots=True)
class LaptopMix:
    """The population laptops are drawn from.

    The charger's rating covers the laptop's own use and its battery together, and laptops cap
    the battery's charge rate (``max_c_rate`` × capacity per hour), so ``spec.charge_w`` (what
    the charger delivers) is min(charger, use + max_c_rate × capacity) and an outlet never
    draws more than charger / efficiency.
    """

    classes: tuple[LaptopClass, ...] = DEFAULT_CLASSES
    efficiency: tuple[float, float] = (0.85, 0.93)
    cv_soc: tuple[float, float] = (0.78, 0.82)
    soc: tuple[float, float] = (0.10, 0.90)
    max_c_rate: float = 1.2

    def __post_init__(self) -> None:
        if not self.classes:
            raise ValueError("a laptop mix needs at least one class")
        for cls in self.classes:
            if min(cls.charger_w) <= cls.use_w[1]:
                raise ValueError(f"class {cls.name}: a charger must cover the laptop's use")

    @property
    def max_draw_w(self) -> float:
        """The most any laptop of this mix can take from its outlet."""
        return max(max(cls.charger_w) for cls in self.classes) / self.efficiency[0]

    def draw(self, rng: Random, laptop_id: str, owner: str, stay_s: float | None) -> Laptop:
        """A random laptop of this mix."""
        cls = rng.choices(self.classes, weights=[c.weight for c in self.classes])[0]
        capacity_wh = round(rng.uniform(*cls.capacity_wh), 1)
        charger_w = rng.choice(cls.charger_w)
        use_w = round(rng.uniform(*cls.use_w), 1)
        spec = LaptopSpec(
            capacity_wh=capacity_wh,
            charge_w=round(min(charger_w, use_w + self.max_c_rate * capacity_wh), 1),
            use_w=use_w,
            cv_soc=round(rng.uniform(*self.cv_soc), 3),
            efficiency=round(rng.uniform(*self.efficiency), 3),
        )
        return Laptop(laptop_id, owner, spec, round(rng.uniform(*self.soc), 3), stay_s)


@dataclass(frozen=True, slots=True)
class Churn:
    """How laptops come and go: each stays ``stay_s`` then its outlet is empty for ``gap_s``
    (both uniform in sim seconds) before a new laptop drawn from ``mix`` arrives."""

    mix: LaptopMix = field(default_factory=LaptopMix)
    stay_s: tuple[float, float] = (3600.0, 4 * 3600.0)
    gap_s: tuple[float, float] = (5 * 60.0, 60 * 60.0)

    def __post_init__(self) -> None:
        # Strictly positive, so the world's clock always moves between two events on an outlet.
        if not 0 < self.stay_s[0] <= self.stay_s[1] or not 0 < self.gap_s[0] <= self.gap_s[1]:
            raise ValueError(f"stay_s and gap_s must be positive ranges: {self}")


Occupant: TypeAlias = Laptop | Lamp | None


@dataclass(frozen=True, slots=True)
class Arrival:
    """A laptop plugging into ``outlet_id`` at sim time ``at_s``: a written day's comings."""

    outlet_id: int
    at_s: float
    laptop: Laptop


def _free_from(occupant: Occupant) -> float:
    """When an outlet's first occupant leaves it free (sim time): a lamp or a laptop staying
    all day never does."""
    if occupant is None:
        return 0.0
    if isinstance(occupant, Lamp) or occupant.stay_s is None:
        return math.inf
    return occupant.stay_s


@dataclass(frozen=True, slots=True)
class Fleet:
    """Who occupies each outlet at the start (index 0 is outlet 1) and how laptops churn.

    Lamps never leave. Laptops arrive either at random (``churn``) or as written (``arrivals``,
    for replaying a given day), not both. With neither, nobody arrives and a laptop with a
    finite stay leaves its outlet empty for good.
    """

    occupants: tuple[Occupant, ...]
    churn: Churn | None = None
    arrivals: tuple[Arrival, ...] = ()

    def __post_init__(self) -> None:
        if not self.occupants:
            raise ValueError("a fleet needs at least one outlet")
        if self.churn is not None and self.arrivals:
            raise ValueError("laptops arrive at random (churn) or as written (arrivals)")
        ids = [o.laptop_id for o in self.occupants if isinstance(o, Laptop)]
        ids += [a.laptop.laptop_id for a in self.arrivals]
        if len(ids) != len(set(ids)):
            raise ValueError("laptop ids must be unique")
        free_from = {i: _free_from(o) for i, o in enumerate(self.occupants, start=1)}
        for a in sorted(self.arrivals, key=lambda a: a.at_s):
            if a.outlet_id not in free_from or a.at_s < free_from[a.outlet_id]:
                raise ValueError(f"{a.laptop.laptop_id}: outlet {a.outlet_id} is not free then")
            if a.laptop.stay_s is None:
                raise ValueError(f"{a.laptop.laptop_id}: an arriving laptop needs a stay")
            free_from[a.outlet_id] = a.at_s + a.laptop.stay_s

    @property
    def outlets(self) -> int:
        return len(self.occupants)

    @property
    def lamp_outlets(self) -> frozenset[int]:
        """Outlet ids holding a constant load: the agent configures them as exceptions."""
        return frozenset(i for i, o in enumerate(self.occupants, start=1) if isinstance(o, Lamp))


def laptop_id(number: int) -> str:
    """The id the default fleet and the world's arrivals give the ``number``-th laptop."""
    return f"laptop-{number:03d}"


def pick_owner(rng: Random, present: set[str]) -> str:
    """A made-up owner not already at the strip (a repeat only once every name is taken)."""
    free = [name for name in OWNERS if name not in present]
    return rng.choice(free or OWNERS)


def default_fleet(seed: int = 0, outlets: int = 16, churn: Churn | None = None) -> Fleet:
    """The coworking day: the last outlet is an exception with a 40 W lamp, every other outlet
    starts with a laptop staying 1–4 h, and new laptops arrive after 5–60 min empty gaps."""
    if outlets < 1:
        raise ValueError(f"outlets must be at least 1, got {outlets}")
    churn = churn or Churn()
    rng = Random(f"smartmulti-fleet:{seed}")
    present: set[str] = set()
    occupants: list[Occupant] = []
    for number in range(1, outlets):
        owner = pick_owner(rng, present)
        present.add(owner)
        stay_s = round(rng.uniform(*churn.stay_s))
        occupants.append(churn.mix.draw(rng, laptop_id(number), owner, stay_s))
    occupants.append(Lamp(40.0))
    return Fleet(tuple(occupants), churn)


def outlet_max_power_w(fleet: Fleet) -> tuple[int, ...]:
    """Each outlet's max power for the agent's configuration, in whole watts rounded up.

    A configured maximum must hold for whatever the outlet may hold during the day (the guard
    counts a failed meter at that value), so a laptop outlet with churn gets the mix's largest
    charger rather than only its first occupant's, and one with written arrivals the largest of
    theirs; an outlet that never holds anything gets 0.
    """
    churn_w = fleet.churn.mix.max_draw_w if fleet.churn else 0.0
    written = dict.fromkeys(range(1, fleet.outlets + 1), churn_w)
    for arrival in fleet.arrivals:
        written[arrival.outlet_id] = max(written[arrival.outlet_id], arrival.laptop.spec.max_draw_w)
    result = []
    for outlet_id, occupant in enumerate(fleet.occupants, start=1):
        if isinstance(occupant, Lamp):
            watts = occupant.power_w
        elif isinstance(occupant, Laptop):
            watts = max(occupant.spec.max_draw_w, written[outlet_id])
        else:
            watts = written[outlet_id]
        # Shave float noise (65 / 0.9 * 0.9) so an exact watt does not round up to the next one.
        result.append(math.ceil(round(watts, 6)))
    return tuple(result)
