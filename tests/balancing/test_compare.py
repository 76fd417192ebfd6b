"""``bench.compare`` tells a change to ``smart`` from the day-to-day noise.

The paired statistic is checked on days whose changes are known; the runner on a shipped
scenario: an engine compared with itself moves nothing, a setting that starves laptops of
looks shows, and the published days are refused as for ``bench.tune``.
"""

from __future__ import annotations

import math

import pytest

from bench.compare import compare, main, report, run_day


def _day(added_wh: float) -> dict[str, float]:
    return {
        "added_wh": added_wh,
        "dead_minutes": 0.0,
        "reporting_dead_minutes": 0.0,
        "blind_dead_minutes": 0.0,
        "violation_wh": 0.0,
        "switches_per_outlet_hour": 2.0,
    }


def test_the_change_is_the_mean_of_the_days_relative_changes_with_its_standard_error() -> None:
    base = {"a": _day(100.0), "b": _day(200.0), "c": _day(50.0), "tiny": _day(0.5)}
    other = {"a": _day(102.0), "b": _day(200.0), "c": _day(49.0), "tiny": _day(5.0)}
    c = compare(base, other)
    # "tiny" added next to nothing: no relative change to speak of, left out.
    assert c["days"] == 3
    changes = [0.02, 0.0, -0.02]
    assert c["mean"] == pytest.approx(0.0)
    spread = math.sqrt(sum(x * x for x in changes) / 2)
    assert c["stderr"] == pytest.approx(spread / math.sqrt(3))
    assert (c["better"], c["worse"]) == (1, 1)
    assert "within twice it" in report(base, other)


def test_a_steady_gain_stands_above_the_noise() -> None:
    base = {str(i): _day(100.0 + i) for i in range(20)}
    other = {n: _day(d["added_wh"] * (1.01 + 0.001 * (int(n) % 3))) for n, d in base.items()}
    c = compare(base, other)
    assert c["mean"] > 2 * c["stderr"] > 0
    assert c["better"] == 20
    assert "above twice it" in report(base, other)


def test_fewer_than_two_days_in_common_is_an_error() -> None:
    with pytest.raises(ValueError, match="fewer than two days"):
        compare({"a": _day(100.0)}, {"a": _day(101.0), "b": _day(3.0)})


def test_the_engine_against_itself_moves_nothing_and_a_starving_setting_shows() -> None:
    name, same = run_day(("coworking_day", {}, None, None))
    assert name == "coworking_day"
    assert same["added_wh"] > 100.0
    assert run_day(("coworking_day", {}, None, None))[1] == same
    # Laptops never looked at are never found: an engine that hardly looks adds less.
    _, blind = run_day(
        (
            "coworking_day",
            {"probe_interval_s": 36000.0, "max_probe_interval_s": 36000.0},
            None,
            None,
        )
    )
    assert blind["added_wh"] < same["added_wh"]


def test_a_rating_short_of_the_chargers_is_run_as_the_strip_would_be_rated() -> None:
    """``--rating``: every outlet rated the same, whatever the day's own ratings."""
    _, rated = run_day(("1068", {}, None, None))
    _, short = run_day(("1068", {}, None, 100.0))
    assert rated["violation_wh"] == 0.0
    # Its chargers draw up to 165 W: each outlet goes over once before its draw is known.
    assert short["violation_wh"] > 0.0
    assert short != rated


def test_a_rating_out_of_range_is_refused() -> None:
    for rating in ("0", "-5", "7401"):
        with pytest.raises(SystemExit):
            main(["--rating", rating, "1000"])


def test_the_published_days_are_refused() -> None:
    with pytest.raises(SystemExit, match="published"):
        main(["9100"])
