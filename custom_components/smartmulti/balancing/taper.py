"""What a settled draw read under a reporter's percent teaches of the laptop's charger.

Below its knee a charger draws the same whatever the charge; in the taper its part of the draw
falls as the battery fills, the laptop's own use on top of it. So:

- a draw read at a low charge, or one that stays flat while the charge rises, is constant
  power (``constant_w``, which caps the reserve);
- the last draw and its charge bound the draw at a lower charge by the ratio of the room left
  in the battery (``view.reserve_w``);
- every draw read bounds the draw at any higher charge, whatever the knee or the use (taken
  unchanged, as every bound from a reading is): a laptop that charged through its taper,
  was switched off near full and drained back to a charge it passed on the way up draws no
  more than it drew there (``bound_w``), where the ratio from near full bounds nothing.

Reports are whole percents, each within half a percent of the charge, and a report may be up
to its age older than the draw read with it, the charge rising meanwhile at most at the whole
draw into the smallest battery. A reading is kept at the highest whole percent the charge can
have been at (``LearnedCharger.taper``), and bounds a charge reported at least half a percent
above that. A percent that may lag (a Home Assistant sensor) is not paired with a draw at all.
"""

from __future__ import annotations

import bisect
import math

from .memory import LearnedCharger, TaperPoints
from .model import SECONDS_PER_HOUR, SMALLEST_BATTERY_WH, BatteryReport

_SURELY_CONSTANT_BELOW = 0.7  # a reported charge below this is surely before the taper
_RISE_MIN_CHANGE = 0.03  # a reported charge rising this much under a flat draw: constant power
_RISE_TOLERANCE = 0.01  # ... flat meaning within this share
_LOWEST_KEPT = 50  # percent: readings below are constant power, bounded by ``constant_w``


def reported_draw(charger: LearnedCharger, report: BatteryReport, power_w: float) -> LearnedCharger:
    """``charger`` after a settled draw ``power_w`` (a laptop's, not nothing) under ``report``."""
    soc = report.percent / 100.0
    charger = _rising(charger._replace(last_on_w=power_w, last_on_charge=soc), power_w, soc)
    if soc < _SURELY_CONSTANT_BELOW:
        charger = charger._replace(constant_w=max(charger.constant_w, power_w))
    if report.may_lag:
        return charger
    return charger._replace(taper=record(charger.taper, soc, report.age_s, power_w))


def _rising(charger: LearnedCharger, power: float, soc: float) -> LearnedCharger:
    """A reported charge that rises while the draw stays flat: the draw is constant power.

    In the taper the charger's part of the draw falls with (1 - charge), several percent per
    point of charge; only a draw that is nearly all the laptop's own use could stay within
    ``_RISE_TOLERANCE`` over ``_RISE_MIN_CHANGE``, and laptop chargers are far above their
    laptop's use.
    """
    start = charger.plateau_charge
    if start is None or abs(power - charger.plateau_w) > _RISE_TOLERANCE * charger.plateau_w:
        return charger._replace(plateau_w=power, plateau_charge=soc)
    if soc - start >= _RISE_MIN_CHANGE and soc < 0.95:
        return charger._replace(constant_w=max(charger.constant_w, charger.plateau_w, power))
    return charger


def record(points: TaperPoints, soc: float, age_s: float, power_w: float) -> TaperPoints:
    """``points`` with the draw ``power_w`` read under a report of ``soc`` (0..1) ``age_s`` old."""
    rise = power_w * max(0.0, age_s) / SECONDS_PER_HOUR / SMALLEST_BATTERY_WH
    pct = math.ceil((soc + rise) * 100.0 + 0.5 - 1e-9)
    if pct < _LOWEST_KEPT:
        return points
    at = bisect.bisect_left(points, (pct, -math.inf))
    if at < len(points) and points[at][0] == pct:
        if points[at][1] >= power_w:
            return points
        return (*points[:at], (pct, power_w), *points[at + 1 :])
    return (*points[:at], (pct, power_w), *points[at:])


def bound_w(points: TaperPoints, soc: float) -> float | None:
    """The most the laptop draws at reported charge ``soc``: the draw read at the highest
    charge surely below it, or None when no reading is that low."""
    at = bisect.bisect_right(points, (soc * 100.0 - 0.5 + 1e-9, math.inf))
    return points[at - 1][1] if at else None
