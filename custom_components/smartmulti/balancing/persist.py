"""The engine's memory as plain data, so that a restart of its host does not forget the laptops.

What a ``Balancer`` learned of each outlet (a laptop's charger, its charge, when it arrived, the
strip's recent switches) is worth a day's observation: a fresh engine counts every laptop it
has not measured yet at its outlet's rating, so after a restart laptops wait for room they did
not need before. ``Balancer.snapshot`` takes the memory (an ``EngineState``), ``encode`` turns
it into JSON-safe data, ``decode`` reads it back and ``Balancer.resume`` takes it up.

Every time in the memory is on the laptops' clock (``Balancer._physical``), which continues
across a restart: ``resume`` is told the seconds that passed since the snapshot, and sets the
engine's clock offset so that its next cycle's ``now`` lands that far after the snapshot's.

Records are read by field name; a field missing from the data takes its default and an unknown
one is ignored, so data written by another version of the engine still loads. Anything else
that is not what ``encode`` writes raises ``ValueError``: the caller starts afresh.
"""

from __future__ import annotations

from collections.abc import Mapping
import itertools
import math
from typing import Any, NamedTuple, get_args, get_origin, get_type_hints

from .memory import (
    ChargeEstimate,
    LastCycle,
    LearnedBattery,
    LearnedCharger,
    LookSchedule,
    Occupant,
    OutletMemory,
    TaperPoints,
)
from .model import ChargeState

FORMAT = 1  # bumped when a record changes meaning, not when a field is added

_RECORDS: dict[str, type[Any]] = {
    "last": LastCycle,
    "occupant": Occupant,
    "charge": ChargeEstimate,
    "battery": LearnedBattery,
    "charger": LearnedCharger,
    "looks": LookSchedule,
}


# Each record's fields and the types each may hold (``float | None`` -> {float, NoneType};
# ``TaperPoints``, a tuple of pairs, -> {tuple}).
_FIELD_TYPES = {
    kind: {
        name: {tuple} if get_origin(hint) is tuple else set(get_args(hint)) or {hint}
        for name, hint in get_type_hints(kind).items()
    }
    for kind in _RECORDS.values()
}


class EngineState(NamedTuple):
    """One strip engine's memory, as ``Balancer.snapshot`` takes it (immutable: cheap to take
    every cycle and encode later, on another thread)."""

    at: float  # the laptops' clock at the last cycle
    scale: float  # the input clock's time scale then
    memory: Mapping[int, OutletMemory]
    switches: tuple[tuple[float, int], ...]  # the wear log: (laptops' time, switches)
    look_room: frozenset[int]


def encode(state: EngineState) -> dict[str, Any]:
    """``state`` as JSON-safe data."""
    return {
        "format": FORMAT,
        "at": state.at,
        "scale": state.scale,
        "outlets": {
            str(outlet_id): {name: getattr(mem, name)._asdict() for name in _RECORDS}
            for outlet_id, mem in state.memory.items()
        },
        "switches": [list(entry) for entry in state.switches],
        "look_room": sorted(state.look_room),
    }


def decode(data: Any) -> EngineState:
    """What ``encode`` wrote; ``ValueError`` on anything else."""
    try:
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            raise ValueError(f"not an engine memory of format {FORMAT}")
        at, scale = _number(data["at"]), _number(data["scale"])
        if scale <= 0:
            raise ValueError(f"time scale must be positive, got {scale}")
        memory = {
            int(outlet_id): OutletMemory(
                **{name: _record(kind, records.get(name, {})) for name, kind in _RECORDS.items()}
            )
            for outlet_id, records in data["outlets"].items()
        }
        switches = tuple((_number(t), int(n)) for t, n in data["switches"])
        look_room = frozenset(int(o) for o in data["look_room"])
    except (KeyError, TypeError, AttributeError) as err:
        raise ValueError(f"malformed engine memory: {err!r}") from err
    return EngineState(at, scale, memory, switches, look_room)


def _record(kind: type[Any], data: Any) -> Any:
    """One record from its fields, each checked against its annotation (``bool``, ``int``,
    ``float`` or ``ChargeState``, optionally ``| None``, or ``TaperPoints``)."""
    if not isinstance(data, Mapping):
        raise TypeError(f"{kind.__name__} is not a mapping")
    values = {}
    for name, types in _FIELD_TYPES[kind].items():
        if name not in data:
            continue
        value = data[name]
        if value is None:
            if type(None) not in types:
                raise ValueError(f"{kind.__name__}.{name} may not be null")
        elif tuple in types:
            value = _points(value)
        elif ChargeState in types:
            value = ChargeState(value)
        elif bool in types:
            if not isinstance(value, bool):
                raise ValueError(f"{kind.__name__}.{name} must be true or false")
        elif int in types:
            value = int(_number(value))
        else:
            value = _number(value)
        values[name] = value
    return kind(**values)


def _points(data: Any) -> TaperPoints:
    """``TaperPoints``: [percent, watts] pairs, by percent, each percent once (a list from
    JSON, or the tuple ``encode`` put there when the store hands back what it has not
    written yet)."""
    if not isinstance(data, list | tuple):
        raise TypeError(f"not a list of [percent, watts] pairs: {data!r}")
    points = tuple((int(_number(pct)), _number(watts)) for pct, watts in data)
    if any(a[0] >= b[0] for a, b in itertools.pairwise(points)):
        raise ValueError(f"percents not in rising order: {data!r}")
    return points


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"not a finite number: {value!r}")
    return float(value)
