"""What a laptop's draws say without a report: when they are constant power, when they idle.

Through a relay a laptop without reports is only the watts it draws while on (``estimate``
follows its charge through them). These rules read the shape of those watts over cycles: a
plateau at the session's peak held long enough is the charger's constant power, the energy
taken since the peak was read vouches for a charge where the draw is no higher (the reserve
rests on both, ``view.reserve_w``), and a low draw that stays flat is a full laptop idling. Each
is measured over spans of the laptops' time, not between two cycles, so the rules read the
same whatever the cycle (the integration plans every 10 s, the bench every 60 s).
"""

from __future__ import annotations

from .memory import ChargeEstimate, LearnedCharger

CHARGING_SHARE = 0.92  # a draw this close to the session's peak is still constant power
_FLAT_W = 0.6  # a draw moving less than this in ``_FLAT_OVER_S`` is flat
_FLAT_OVER_S = 50.0  # (a minute's cycle that comes a little early still measures a span)
_PLATEAU_TOLERANCE = 0.02  # a draw within this share of the plateau still belongs to it
_PLATEAU_S = 360.0  # a plateau this long is constant power: a taper falls 2 % in it (see plateau)


def read_at_peak(charger: LearnedCharger, power: float) -> LearnedCharger:
    """``charger`` with a settled draw taken into its peak and ``above_peak_wh``.

    A draw read at the peak or under it vouches for its charge: at a charge no lower the
    laptop draws no more (a taper only falls), so the count of energy above the peak's charge
    is at least zero from here, and what it held from an earlier reading is kept. Started
    afresh at each reading instead, it would hold only what the last cycle gave, and a
    laptop's reserve would lapse the sooner the shorter the cycle. A draw above the peak (by
    more than ``_FLAT_W``, a meter's noise) is higher than anything read at a lower charge
    (the laptop's own use rose), so the count starts again from it.
    """
    above = 0.0 if power > charger.peak_w + _FLAT_W else max(0.0, charger.above_peak_wh)
    return charger._replace(peak_w=max(charger.peak_w, power), above_peak_wh=above)


def flat(charge: ChargeEstimate, power: float, now: float, *, low: bool) -> ChargeEstimate:
    """Since when a ``low`` draw has been flat: moving less than ``_FLAT_W`` in ``_FLAT_OVER_S``
    (a taper keeps falling, an idle draw does not), each span measured from the draw read at
    its start (``flat_w``, ``flat_at``), not the last cycle's: over a 10 s cycle the end of a
    taper moves less than a meter's noise, and the laptop would be taken for full."""
    ref_w, ref_at = charge.flat_w, charge.flat_at
    if not low or ref_w is None or ref_at is None or now < ref_at or abs(power - ref_w) > _FLAT_W:
        return charge._replace(flat_since=None, flat_w=power, flat_at=now)
    if now - ref_at < _FLAT_OVER_S:
        return charge
    since = charge.flat_since if charge.flat_since is not None else now
    return charge._replace(flat_since=since, flat_w=power, flat_at=now)


def plateau(charger: LearnedCharger, power: float, now: float, idle_w: float) -> LearnedCharger:
    """Follow a steady draw without a report; a long one at the session's peak is constant power.

    A taper falls by more than the tolerance within ``_PLATEAU_S`` unless the battery's part of
    the draw is down to its last few watts under a large laptop use: of the taper states above
    ``idle_w`` in the fleet the property test draws (30-100 Wh, 45-140 W chargers, 3-25 W use,
    knee at 70-90 %, 80-95 % efficient), about 1 in 8000 holds 2 % for 6 minutes (1 in 50000
    for 9). Such a laptop, taken for constant power, can draw more than its reserve only after
    draining while off; the guard then cuts it and ``shed`` forgets the reserve. Six minutes
    are short enough for a laptop that gets only short turns (a crowded strip, ratings near
    the budget) to prove its charger, instead of being counted at the outlet's rating at every
    turn (docs/benchmarks.md). An idle draw (full) is steady forever, so the plateau must
    also be the session's peak (a laptop seen charging and then full idles far below it) and
    above ``idle_w``, the most any laptop's own use can draw from the wall (its highest use at
    the lowest efficiency): a laptop first seen full idles at its peak, but no higher.
    """
    if (
        charger.plateau_since is None
        or abs(power - charger.plateau_w) > _PLATEAU_TOLERANCE * charger.plateau_w
    ):
        return charger._replace(plateau_w=power, plateau_since=now)
    plateau = max(charger.plateau_w, power)
    steady = now - charger.plateau_since >= _PLATEAU_S
    at_peak = plateau >= CHARGING_SHARE * charger.peak_w
    if steady and at_peak and plateau > idle_w:
        return charger._replace(plateau_w=plateau, constant_w=max(charger.constant_w, plateau))
    return charger._replace(plateau_w=plateau)
