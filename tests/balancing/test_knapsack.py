"""Knapsacks over whole outlets: the closest fill (``fill``) and the most worth (``best``)."""

from __future__ import annotations

import itertools

from hypothesis import given, strategies as st

from custom_components.smartmulti.balancing.knapsack import best, fill


def test_takes_the_subset_that_fills_best() -> None:
    assert fill([65, 50, 50], 100) == [1, 2]


def test_prefers_earlier_items_among_equally_good_fills() -> None:
    assert fill([50, 50, 50], 100) == [0, 1]


def test_gives_up_a_little_fill_to_keep_the_order_within_tolerance() -> None:
    assert fill([48, 50, 52], 100, tolerance=0) == [0, 2]
    assert fill([48, 50, 52], 100, tolerance=5) == [0, 1]


@given(st.lists(st.floats(0, 200), max_size=16), st.floats(0, 1500))
def test_never_exceeds_the_room(weights: list[float], room: float) -> None:
    assert sum(weights[i] for i in fill(weights, room, 8.0)) <= room + 1e-9


# The value knapsack used by ``smart``: worth and counted draw differ.


def test_best_takes_the_subset_worth_most_within_the_room() -> None:
    # Two 50 W outlets worth 60 each beat one 90 W outlet worth 100.
    assert best([90, 50, 50], [100, 60, 60], 100) == [1, 2]


def test_best_never_takes_an_outlet_worth_nothing() -> None:
    assert best([10, 10], [0.0, -5.0], 100) == []


def test_best_takes_everything_worth_something_when_it_all_fits() -> None:
    assert best([30, 40, 50], [1, 2, 3], 500) == [0, 1, 2]


@given(
    st.lists(st.tuples(st.floats(1, 200), st.floats(-50, 250)), max_size=10),
    st.floats(0, 800),
)
def test_best_is_exact(items: list[tuple[float, float]], room: float) -> None:
    weights = [w for w, _ in items]
    values = [v for _, v in items]
    chosen = best(weights, values, room)
    assert sum(weights[i] for i in chosen) <= room + 1e-9
    optimum = max(
        (
            sum(values[i] for i in subset)
            for k in range(len(items) + 1)
            for subset in itertools.combinations(range(len(items)), k)
            if sum(weights[i] for i in subset) <= room
        ),
        default=0.0,
    )
    assert sum(values[i] for i in chosen) >= optimum - 1e-6
