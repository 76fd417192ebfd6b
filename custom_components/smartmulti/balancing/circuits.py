"""Site budget across strips: a tree of circuits (site -> circuit -> strip), split by need.

Like evcc's circuits, every node has a maximum power and a strip sits under one circuit. Each
cycle the budget is handed out in three rounds:

1. what each strip cannot shed (exceptions and outlets held on by their minimum time);
2. whole outlets, neediest first across the whole site: every strip's outlets that want power
   are ranked together by their ``Need`` (the same measure whatever each strip's strategy:
   keep-alive, then looks that cannot wait, then laptops by minutes to empty, battery percent
   and laxity, then spare uses), and each is granted its counted draw if it fits under its
   strip's cap and every circuit above it; equal needs are served one strip after the other,
   starting from a strip that moves on every cycle (``turn``), so no strip is always first;
3. what is left, too small for a whole outlet, goes to strips with unmet need and then evenly,
   as slack for the agent's guard.

A strip's share is what its outlets won. A strip never gets more than its own cap (its hard
limit and configured budget), and no circuit's strips together get more than the circuit's
maximum.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
import heapq

from .engine import Demand
from .need import Need, NeedLevel

_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class Circuit:
    """A node of the site's electrical tree: its own limit, sub-circuits and strips."""

    circuit_id: str
    max_power_w: float
    children: tuple[Circuit, ...] = ()
    strips: tuple[str, ...] = ()

    def walk(self) -> Iterator[Circuit]:
        """This circuit and every circuit below it, parents first."""
        yield self
        for child in self.children:
            yield from child.walk()

    def strip_ids(self) -> list[str]:
        """Every strip under this circuit, in tree order."""
        return [s for node in self.walk() for s in node.strips]


def _paths(root: Circuit) -> dict[str, list[Circuit]]:
    paths: dict[str, list[Circuit]] = {}

    def visit(node: Circuit, above: list[Circuit]) -> None:
        here = [*above, node]
        for strip in node.strips:
            if strip in paths:
                raise ValueError(f"strip {strip!r} is under two circuits")
            paths[strip] = here
        for child in node.children:
            visit(child, here)

    visit(root, [])
    return paths


def split_budget(
    root: Circuit, demands: Mapping[str, Demand], *, turn: int = 0
) -> dict[str, float]:
    """Budget per strip under ``root``; strips without a demand get none.

    ``turn`` picks which strip is served first among equal needs (it rotates with it).
    """
    paths = {s: p for s, p in _paths(root).items() if s in demands}
    strips = list(paths)
    used = {node.circuit_id: 0.0 for node in root.walk()}
    grant = dict.fromkeys(strips, 0.0)

    def room(strip: str) -> float:
        cap = demands[strip].cap_w - grant[strip]
        return min([cap, *(n.max_power_w - used[n.circuit_id] for n in paths[strip])])

    def give(strip: str, watts: float) -> None:
        grant[strip] += watts
        for node in paths[strip]:
            used[node.circuit_id] += watts

    # 1. What cannot be shed, scaled down where a circuit cannot carry it (strips then shed).
    base = {s: max(0.0, min(demands[s].base_w, demands[s].cap_w)) for s in strips}
    for node in reversed(list(root.walk())):
        below = [s for s in node.strip_ids() if s in base]
        total = sum(base[s] for s in below)
        if total > node.max_power_w > 0:
            factor = node.max_power_w / total
            for s in below:
                base[s] *= factor
        elif total > 0 and node.max_power_w <= 0:
            for s in below:
                base[s] = 0.0
    for s in strips:
        give(s, base[s])

    # 2. Whole outlets, neediest first across the site, each strip in its own order.
    unmet = dict.fromkeys(strips, 0.0)
    for s, watts, level in _merge(strips, demands, turn):
        if watts <= room(s) + _EPS:
            give(s, watts)
        elif level >= NeedLevel.CHARGE:
            unmet[s] += watts

    # 3. Leftovers: to unmet need first, then evenly, each limited by every room above it.
    for weights in (unmet, dict.fromkeys(strips, 1.0)):
        for _ in range(len(strips) + 1):
            active = [s for s in strips if weights[s] > 0 and room(s) > _EPS]
            if not active:
                break
            amounts = {s: _share(s, active, weights, paths, used) for s in active}
            if sum(amounts.values()) <= _EPS:
                break
            for s in active:
                give(s, max(0.0, min(room(s), amounts[s])))
    return grant


def _merge(
    strips: list[str], demands: Mapping[str, Demand], turn: int
) -> Iterator[tuple[str, float, NeedLevel]]:
    """Every strip's chunks as (strip, watts, level), neediest first across strips.

    A strip's chunks keep their order (the order its strategy serves its outlets in: a
    first-come strip is not given room for a laptop it would leave waiting); at each step the
    strip whose next chunk is neediest goes, and on equal needs the strip served fewer
    chunks so far, then the one after ``turn`` in order.
    """
    queues: dict[str, list[tuple[Need, float]]] = {}
    for s in strips:
        demand = demands[s]
        needs = demand.needs or tuple(Need.from_want(want) for want, _ in demand.chunks)
        chunks = [(n, watts) for n, (_, watts) in zip(needs, demand.chunks, strict=True)]
        if demand.max_chunks is not None:
            chunks = chunks[: max(0, demand.max_chunks)]
        queues[s] = chunks
    count = max(1, len(strips))
    rotated = {s: (i - turn) % count for i, s in enumerate(strips)}
    served = dict.fromkeys(strips, 0)
    heap = [(q[0][0].order, 0, rotated[s], s) for s, q in queues.items() if q]
    heapq.heapify(heap)
    while heap:
        _, _, _, s = heapq.heappop(heap)
        wanted, watts = queues[s][served[s]]
        served[s] += 1
        yield s, watts, wanted.level
        if served[s] < len(queues[s]):
            head = queues[s][served[s]][0]
            heapq.heappush(heap, (head.order, served[s], rotated[s], s))


def _share(
    strip: str,
    active: list[str],
    weights: Mapping[str, float],
    paths: Mapping[str, list[Circuit]],
    used: Mapping[str, float],
) -> float:
    """This strip's weighted share of the tightest circuit above it."""
    best = float("inf")
    for node in paths[strip]:
        peers = sum(weights[s] for s in active if node.circuit_id in _ids(paths[s]))
        headroom = node.max_power_w - used[node.circuit_id]
        best = min(best, headroom * weights[strip] / peers)
    return best


def _ids(path: list[Circuit]) -> set[str]:
    return {n.circuit_id for n in path}
