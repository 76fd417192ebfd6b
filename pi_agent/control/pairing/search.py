"""The arithmetic of automatic pairing: how to split the candidates, and what the answers prove.

A window puts some candidate outlets on and the others off, then asks the laptop whether it is
plugged; the answer keeps the outlets whose relay matches it. So the outlets still possible are
always all on or all off. Splitting an all-on set only needs switch-offs; splitting an all-off
set needs switch-ons, and the budget and the inrush stagger allow only ``k`` of those per window.
The worst-case number of windows follows from that, and the split that minimises it is taken.

The hypotheses are the candidate outlets plus ``OUTSIDE`` (the laptop is on no outlet we switch:
an exception outlet, another strip, or no charger at all); ``OUTSIDE`` predicts that the flag
never changes. Pure functions over outlet ids, so they can be checked and reasoned about alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Final, Literal

OUTSIDE: Final = 0  # outlet ids start at 1
INFEASIBLE: Final = 1_000

Outcome = Literal["paired", "ambiguous", "failed"]


@dataclass(frozen=True, slots=True)
class Answer:
    """One window: the relays of the candidates when the laptop was asked, and its flag."""

    states: Mapping[int, bool]
    plugged: bool


@cache
def _needed(n: int, on: bool, k: int) -> int:
    if n == 1:  # the confirmation: flip the last outlet alone (switching it on needs a slot)
        return 1 if on or k >= 1 else INFEASIBLE
    best = INFEASIBLE
    for a in _splits(n, on, k):
        best = min(best, 1 + max(_needed(a, True, k), _needed(n - a, False, k)))
    return best


def _splits(n: int, on: bool, k: int) -> range:
    """How many of ``n`` candidates may be on in the next window (at least one on, one off)."""
    return range(1, n) if on else range(1, min(k, n - 1) + 1)


def windows_needed(n: int, on: bool, k: int) -> int:
    """Windows, the confirmation included, to find one of ``n`` candidates in the worst case.

    ``on``: the candidates are all on (else all off); ``k``: switch-ons allowed per window.
    """
    if n < 1:
        return INFEASIBLE
    return _needed(n, on, max(0, min(k, n)))


def best_split(n: int, on: bool, k: int) -> int | None:
    """How many of the ``n`` candidates to have on in the next window; None if none can be.

    Ties go to the most even split (fewest windows on average), then to more outlets on
    (fewer switched off, or more information per switch-on).
    """
    k = max(0, min(k, n))
    options = [
        (1 + max(_needed(a, True, k), _needed(n - a, False, k)), abs(2 * a - n), -a)
        for a in _splits(n, on, k)
    ]
    if not options:
        return None
    return -min(options)[2]


def mismatches(answers: Sequence[Answer], outlets: Iterable[int]) -> dict[int, int]:
    """For each hypothesis, how many answers contradict it."""
    baseline = answers[0].plugged
    result = {OUTSIDE: sum(a.plugged != baseline for a in answers)}
    for outlet in outlets:
        result[outlet] = sum(a.states[outlet] != a.plugged for a in answers)
    return result


def consistent(answers: Sequence[Answer], outlets: Iterable[int]) -> list[int]:
    """Candidate outlets (not ``OUTSIDE``) that every answer agrees with."""
    return sorted(h for h, m in mismatches(answers, outlets).items() if m == 0 and h != OUTSIDE)


def posterior(counts: Mapping[int, int], flag_error: float) -> dict[int, float]:
    """Probability of each hypothesis if any one answer may be wrong with ``flag_error``.

    Uniform prior; each contradicting answer multiplies a hypothesis' odds by
    ``flag_error / (1 - flag_error)``. This is what the reported confidence means.
    """
    ratio = flag_error / (1.0 - flag_error)
    weights = {h: ratio**m for h, m in counts.items()}
    total = sum(weights.values())
    return {h: w / total for h, w in weights.items()}


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: Outcome
    outlet: int | None
    confidence: float | None
    reason: str | None
    message: str


def verdict(
    answers: Sequence[Answer], outlets: Iterable[int], flag_error: float, min_confidence: float
) -> Verdict:
    """The result once the windows are over: one outlet agreeing with every answer, or why not."""
    counts = mismatches(answers, list(outlets))
    agreeing = sorted(h for h, m in counts.items() if m == 0)
    probability = posterior(counts, flag_error)
    if len(agreeing) == 1 and agreeing[0] != OUTSIDE:
        outlet = agreeing[0]
        confidence = round(probability[outlet], 4)
        if confidence >= min_confidence:
            return Verdict("paired", outlet, confidence, None, f"paired with outlet {outlet}")
        return Verdict(
            "ambiguous",
            None,
            confidence,
            "low_confidence",
            f"outlet {outlet} fits, but only with confidence {confidence:.2f}",
        )
    if agreeing == [OUTSIDE]:
        return Verdict(
            "failed",
            None,
            None,
            "not_on_candidate",
            "the laptop's plugged flag never followed a switched outlet: it is on an exception "
            "outlet, an outlet under a manual command or with another reporter, another strip, "
            "or not on a charger",
        )
    if not agreeing:
        return Verdict(
            "ambiguous",
            None,
            None,
            "inconsistent",
            "the plugged flag contradicted every outlet: the laptop was unplugged or moved "
            "during pairing, or its flag lags more than the window allows",
        )
    return Verdict(
        "ambiguous",
        None,
        None,
        "undecided",
        f"{len(agreeing)} possibilities remain after the windows allowed",
    )
