"""Site budget split: circuits nest, strips get their need, no limit is ever exceeded."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from custom_components.smartmulti.balancing import (
    Circuit,
    Demand,
    Need,
    NeedLevel,
    SiteBalancer,
    split_budget,
)
from custom_components.smartmulti.balancing.candidates import Want

from .helpers import laptop, strip


def demand(strip_id: str, *chunks: float, base: float = 0.0, cap: float = 3680.0) -> Demand:
    return Demand(strip_id, base, tuple((Want.CHARGE, w) for w in chunks), cap)


def test_the_strip_with_more_waiting_laptops_gets_more() -> None:
    site = Circuit("site", 400, strips=("a", "b"))
    budgets = split_budget(site, {"a": demand("a", 65, 65, 65, 65), "b": demand("b", 65)})
    assert budgets["a"] > budgets["b"] >= 65
    assert sum(budgets.values()) <= 400 + 1e-6


def test_a_strip_never_gets_more_than_its_own_cap() -> None:
    site = Circuit("site", 3000, strips=("a", "b"))
    budgets = split_budget(site, {"a": demand("a", 65, 65, cap=100), "b": demand("b", 65)})
    assert budgets["a"] <= 100


def test_a_nested_circuit_limits_its_own_strips() -> None:
    site = Circuit("site", 1000, children=(Circuit("room", 200, strips=("a", "b")),), strips=("c",))
    demands = {s: demand(s, 65, 65, 65, 65) for s in "abc"}
    budgets = split_budget(site, demands)
    assert budgets["a"] + budgets["b"] <= 200 + 1e-6
    assert budgets["c"] >= 260


def test_what_cannot_be_shed_comes_first() -> None:
    site = Circuit("site", 300, strips=("a", "b"))
    budgets = split_budget(site, {"a": demand("a", 65, base=120), "b": demand("b", 65, 65, 65, 65)})
    assert budgets["a"] >= 120


def test_site_balancer_plans_each_strip_within_its_share() -> None:
    site = SiteBalancer(Circuit("site", 200, strips=("a", "b")))
    plan = site.plan(
        {
            "a": strip(*(laptop(i, percent=30) for i in range(4)), budget=3680),
            "b": strip(*(laptop(i, percent=30) for i in range(4)), budget=3680),
        }
    )
    assert sum(plan.budgets.values()) <= 200 + 1e-6
    for sid, p in plan.plans.items():
        assert p.planned_w <= plan.budgets[sid] + 1e-6
    assert all(p.on for p in plan.plans.values())  # both strips make progress


@st.composite
def trees(draw: st.DrawFn) -> tuple[Circuit, dict[str, Demand]]:
    names = iter(f"s{i}" for i in range(100))
    demands: dict[str, Demand] = {}

    def node(depth: int, label: str) -> Circuit:
        strips = tuple(next(names) for _ in range(draw(st.integers(0, 3))))
        for s in strips:
            chunks = draw(st.lists(st.floats(5, 200), max_size=8))
            needs = tuple(
                Need(draw(st.sampled_from(list(NeedLevel))), (draw(st.floats(-100, 1000)),))
                for _ in chunks
            )
            demands[s] = Demand(
                s,
                draw(st.floats(0, 300)),
                tuple((draw(st.sampled_from(list(Want))), w) for w in chunks),
                draw(st.floats(0, 3680)),
                needs if draw(st.booleans()) else (),
                draw(st.none() | st.integers(0, 8)),
            )
        kids = (
            ()
            if depth >= 2
            else tuple(node(depth + 1, f"{label}.{i}") for i in range(draw(st.integers(0, 2))))
        )
        return Circuit(label, draw(st.floats(0, 3000)), kids, strips)

    return node(0, "site"), demands


@settings(max_examples=200, deadline=None)
@given(trees(), st.integers(0, 5))
def test_no_circuit_or_strip_limit_is_ever_exceeded(
    tree: tuple[Circuit, dict[str, Demand]], turn: int
) -> None:
    root, demands = tree
    budgets = split_budget(root, demands, turn=turn)
    for s, watts in budgets.items():
        assert -1e-9 <= watts <= demands[s].cap_w + 1e-6
    for node in root.walk():
        assert sum(budgets[s] for s in node.strip_ids()) <= node.max_power_w + 1e-6
