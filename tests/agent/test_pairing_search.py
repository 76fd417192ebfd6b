"""The arithmetic of pairing: how many windows a search needs, and what the answers prove."""

from __future__ import annotations

import math

import pytest

from pi_agent.control.pairing.search import (
    INFEASIBLE,
    OUTSIDE,
    Answer,
    best_split,
    posterior,
    verdict,
    windows_needed,
)


@pytest.mark.parametrize("n", range(1, 17))
def test_unconstrained_search_needs_log2_windows_plus_one_to_confirm(n: int) -> None:
    expected = math.ceil(math.log2(n)) + 1
    assert windows_needed(n, True, k=16) == expected
    assert windows_needed(n, False, k=16) == expected


def test_sixteen_candidates_need_five_windows() -> None:
    assert windows_needed(16, True, k=16) == 5


def test_few_switch_ons_per_window_make_an_off_search_longer() -> None:
    assert windows_needed(10, False, k=3) == 5
    assert windows_needed(10, False, k=2) == 6
    assert windows_needed(10, False, k=1) == 10


def test_an_off_laptop_cannot_be_found_without_a_single_switch_on() -> None:
    assert windows_needed(1, False, k=0) == INFEASIBLE
    assert windows_needed(1, True, k=0) == 1


def test_split_of_an_all_on_set_is_even() -> None:
    assert best_split(8, True, k=0) in (4, 5)  # never needs a switch-on first
    assert best_split(16, True, k=16) == 8


def test_split_of_an_all_off_set_respects_the_switch_on_limit() -> None:
    assert best_split(10, False, k=3) == 3
    assert best_split(10, False, k=0) is None


def answers(*rows: tuple[dict[int, bool], bool]) -> list[Answer]:
    return [Answer(states, plugged) for states, plugged in rows]


def test_verdict_pairs_the_only_outlet_every_answer_agrees_with() -> None:
    log = answers(
        ({1: True, 2: True, 3: False}, True),  # baseline: plugged, so 1 or 2
        ({1: True, 2: False, 3: False}, True),  # 2 off, still plugged: 1
        ({1: False, 2: False, 3: False}, False),  # 1 alone off: unplugged, confirmed
    )
    result = verdict(log, [1, 2, 3], flag_error=0.002, min_confidence=0.9)
    assert (result.outcome, result.outlet) == ("paired", 1)
    assert result.confidence is not None
    assert result.confidence > 0.99


def test_flag_that_never_follows_any_outlet_fails_as_not_on_a_candidate() -> None:
    log = answers(
        ({1: True, 2: True}, True),
        ({1: True, 2: False}, True),
        ({1: False, 2: False}, True),  # every candidate off, still plugged
    )
    result = verdict(log, [1, 2], flag_error=0.002, min_confidence=0.9)
    assert (result.outcome, result.reason) == ("failed", "not_on_candidate")
    assert result.outlet is None


def test_flag_contradicting_every_outlet_is_ambiguous() -> None:
    log = answers(
        ({1: True, 2: True}, True),
        ({1: True, 2: False}, False),  # rules out 1 and "not on this strip"
        ({1: False, 2: False}, True),  # rules out 2
    )
    result = verdict(log, [1, 2], flag_error=0.002, min_confidence=0.9)
    assert (result.outcome, result.reason) == ("ambiguous", "inconsistent")


def test_confidence_is_lower_when_an_alternative_is_one_wrong_reading_away() -> None:
    near = posterior({1: 0, 2: 1, OUTSIDE: 1}, flag_error=0.002)
    far = posterior({1: 0, 2: 3, OUTSIDE: 3}, flag_error=0.002)
    assert near[1] < far[1]
    assert math.isclose(sum(near.values()), 1.0)
