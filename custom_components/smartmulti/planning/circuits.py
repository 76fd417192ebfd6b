"""Circuits: a circuit entry's run-time budget, and the tree the engine splits budgets over.

A circuit entry is a node of the site's electrical tree with a rating (``max_power``) and a
parent; strips sit under circuits by their ``circuit`` option (``docs/circuits.md``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
import math
from typing import Any, Final, Protocol

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import callback

from ..balancing import Circuit
from ..client.models import SmartMultiData, StripMode
from ..const import CONF_MAX_POWER
from ..listeners import Listeners
from .plan import CycleResult
from .storage import RemovedCircuit

# The root that holds several top-level circuits (two buildings, or circuits with no common
# parent): it adds no limit of its own.
SITE_ROOT: Final = "site"


class CircuitPlanner(Listeners):
    """A circuit entry's run-time state (``entry.runtime_data``): its budget and its figures.

    The rating (``max_power`` option) is the most the circuit may carry; the budget, set at run
    time, may only be lower. ``power_w`` (measured) and ``allocated_w`` (the strips' shares)
    are the sums over the strips below it at the last cycle. A change of budget asks the site
    for a cycle (``request_cycle``).
    """

    def __init__(self, entry: ConfigEntry[Any], request_cycle: Callable[[], None]) -> None:
        super().__init__()
        self.circuit_id = entry.entry_id
        self.name = entry.title
        self.rating_w = float(entry.options.get(CONF_MAX_POWER, 0.0))
        self.budget_w: float | None = None
        self.power_w: float | None = None
        self.allocated_w: float | None = None
        self._request_cycle = request_cycle

    @property
    def limit_w(self) -> float:
        """What the engine gives the circuit: its budget, never above its rating."""
        budget = self.rating_w if self.budget_w is None else self.budget_w
        return max(0.0, min(budget, self.rating_w))

    @callback
    def async_set_budget(self, watts: float | None) -> None:
        self.budget_w = watts
        self.async_update_listeners()
        self._request_cycle()

    @callback
    def async_set_figures(self, power_w: float, allocated_w: float) -> None:
        if (power_w, allocated_w) != (self.power_w, self.allocated_w):
            self.power_w, self.allocated_w = power_w, allocated_w
            self.async_update_listeners()


@dataclass(frozen=True, slots=True)
class CircuitNode:
    """A circuit as configured: its title (the order of siblings), its parent, its limit."""

    title: str
    parent: str | None
    limit_w: float


def with_removed(
    circuits: Mapping[str, CircuitNode],
    named: Iterable[str | None],
    removed: Mapping[str, RemovedCircuit],
) -> dict[str, CircuitNode]:
    """``circuits`` and every removed circuit still ``named`` (by a strip, a circuit, or
    another removed circuit kept), at its rating, under its parent as it was.

    A strip or circuit naming a removed circuit is held by it until the manager moves it
    (``missing_circuits.py``): deleting an entry takes no breaker off the wall, and nobody
    else knows whether the wiring changed. Its rating, not the budget in force: a budget is
    lowered for a while (peak hours) by the entity that went with the entry, so nothing would
    ever raise it again; the rating is what the wiring carries.
    """
    found = dict(circuits)
    wanted = [cid for cid in named if cid is not None]
    wanted += [node.parent for node in circuits.values() if node.parent is not None]
    while wanted:
        cid = wanted.pop()
        if cid in found or (gone := removed.get(cid)) is None:
            continue
        found[cid] = CircuitNode(title=gone.title, parent=gone.parent, limit_w=gone.rating_w)
        if gone.parent is not None:
            wanted.append(gone.parent)
    return found


def circuit_tree(
    circuits: Mapping[str, CircuitNode], placement: Mapping[str, str | None]
) -> Circuit | None:
    """The engine's tree of ``circuits`` (by id), with each strip under its ``placement``.

    A parent that is not a known circuit makes a top-level circuit; a loop of parents (never
    offered by the flow) is cut. Several top-level circuits hang under ``SITE_ROOT``.
    """
    if not circuits:
        return None
    parents: dict[str, str | None] = {
        cid: node.parent if node.parent in circuits else None for cid, node in circuits.items()
    }
    for cid in sorted(circuits):
        seen: set[str] = set()
        walker: str | None = cid
        while walker is not None:
            if walker in seen:
                parents[walker] = None
                break
            seen.add(walker)
            walker = parents[walker]
    children: dict[str | None, list[str]] = defaultdict(list)
    for cid in sorted(circuits, key=lambda c: (circuits[c].title, c)):
        children[parents[cid]].append(cid)
    strips: dict[str, list[str]] = defaultdict(list)
    for strip_id, circuit_id in placement.items():
        if circuit_id is not None and circuit_id in circuits:
            strips[circuit_id].append(strip_id)

    def build(cid: str) -> Circuit:
        return Circuit(
            circuit_id=cid,
            max_power_w=circuits[cid].limit_w,
            children=tuple(build(child) for child in children[cid]),
            strips=tuple(strips[cid]),
        )

    tops = [build(cid) for cid in children[None]]
    if len(tops) == 1:
        return tops[0]
    return Circuit(SITE_ROOT, sum(top.max_power_w for top in tops), children=tuple(tops))


def failsafe_caps(
    root: Circuit | None, footprints: Mapping[str, float], absent: Collection[str]
) -> dict[str, float]:
    """Each strip's cap on its failsafe (``failsafe_cap_w`` in its plans), for when nobody plans
    it: its circuits' share of its ``footprints`` (the most it draws on its own, its failsafe
    budget for a strip planned now) wherever the strips below a circuit could draw more together.

    Once Home Assistant stops, every strip's plan runs out and every agent runs its failsafe at
    once; each agent only knows its own limits, so the circuit holds only if their caps add up
    to no more than it. The ``absent`` strips (unreachable, or not loaded) cannot be sent a
    cap: they keep all they may draw, and the others share what is left, in proportion to their
    footprints. A strip needing no cap (on no circuit, or on circuits with room for every strip
    below) has none. Rounded down to 0.1 W, as a budget a plan carries.
    """
    caps: dict[str, float] = {}
    for node in () if root is None else root.walk():
        below = [sid for sid in node.strip_ids() if sid in footprints]
        held = sum(footprints[sid] for sid in below if sid in absent)
        sharing = [sid for sid in below if sid not in absent]
        wanted = sum(footprints[sid] for sid in sharing)
        room = max(0.0, node.max_power_w - held)
        if wanted <= room:
            continue
        for sid in sharing:
            share = math.floor(room * footprints[sid] / wanted * 10.0) / 10.0
            caps[sid] = min(caps.get(sid, math.inf), share)
    return caps


def keep_room(root: Circuit | None, held: Mapping[str, float]) -> Circuit | None:
    """``root`` for the engine: the strips nobody plans now (``held``: the most each may draw)
    taken out, and their room taken off every circuit above them.

    Their agents run on their own, so their room is not the engine's to share: planned with
    the others, it would be cut with theirs wherever what cannot be shed at once (outlets
    held on by their minimum time) is more than a circuit carries, and a strip planned now
    sheds, while one nobody plans does not.
    """
    if root is None:
        return None

    def build(node: Circuit) -> Circuit:
        below = sum(held.get(sid, 0.0) for sid in node.strip_ids())
        return Circuit(
            circuit_id=node.circuit_id,
            max_power_w=max(0.0, node.max_power_w - below),
            children=tuple(build(child) for child in node.children),
            strips=tuple(sid for sid in node.strips if sid not in held),
        )

    return build(root)


class Sent(Protocol):
    """What ``room_for_undelivered`` needs of a strip's planner."""

    entry_id: str
    circuit_id: str | None
    result: CycleResult | None

    @property
    def data(self) -> SmartMultiData: ...

    @property
    def footprint_w(self) -> float: ...


def room_for_undelivered(strips: Iterable[Sent]) -> dict[str, tuple[str, float]]:
    """Room to keep on their circuits for strips whose agent does not follow the last plan
    sent (it did not reach it: refused, timed out; or the agent has lost it: restarted without
    its state), by a name of their own: (circuit id, watts), as for absent strips.

    Such an agent answers, so it is planned like the others, but it follows its last plan
    until that runs out, or its failsafe: until a plan reaches it, its circuit keeps what it
    may draw on its own (``footprint_w``), or the budget of the plan that failed, which an
    agent whose answer was lost may have taken. A strip never planned yet runs its failsafe
    as Home Assistant found it: its first plan is sent like any other.
    """
    room: dict[str, tuple[str, float]] = {}
    for strip in strips:
        if strip.circuit_id is None or (result := strip.result) is None:
            continue
        if result.sent and strip.data.state.mode is StripMode.PLANNED:
            continue
        watts = max(strip.footprint_w, result.plan.budget_w)
        room[f"{strip.entry_id}:undelivered"] = (strip.circuit_id, watts)
    return room
