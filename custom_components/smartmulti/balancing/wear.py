"""Relay wear: how often the strip's balanced outlets switched over the last hour.

A relay is rated for a number of switchings, and each one cuts a laptop's charge for a moment;
on a congested strip, turns between laptops that need the same budget could take any number of
them. The engine counts the switches it sees (a relay that changed between two cycles, or one
whose time since a switch went back while it is as it was: twice) and, once the strip's rate
over the last ``wear_window_s`` passes ``switch_rate_soft`` per outlet-hour, makes every change
of who is on dearer (``smart``'s switch cost and turn dwell grow with the excess), so the rate
settles near ``switch_rate_soft`` instead of growing with the congestion; by ``wear_max_factor``
at most, so a turn still ends and a laptop short of its departure still gets its own. From
``switch_rate_hard`` on, the factor is that most at once, for at most 4 switches per outlet-hour
over a day: with the factor growing by the excess alone the rate of crowded days settled between
4 and 6. What a worn strip still switches (a laptop kept alive, a full one switched off and its
room handed on, a forced look) takes a few crowded days over 4, even with every turn end and
reading refused from 3.6 on (docs/benchmarks.md). Looks at outlets where no laptop is known come
less often by the same factor, up to ``wear_look_max_factor``: each costs two switches and most
read nothing, and on a congested strip they are a good part of the rate that turns alone cannot
bring down. Under the soft rate they come sooner instead (``_spare``): the switches left unused
find laptops without reports sooner. A look overdue enough to be forced keeps its time
(``probe_force`` x the unworn interval): a laptop without reports plugged into an off outlet is
only noticed by a look, and it may be running flat. A look at a laptop without reports unseen
too long (``unseen_look_s``) comes rarer by the whole factor: it nearly always finds the laptop
still there, so it is a turn more than a look. No laptop is switched on only to be read
(``readings.py``): a reading sheds others for a cycle, each shed laptop switched off and back
on, which a worn strip cannot spare (kept, readings add energy but multiply the days over 4
switches). Keeping a laptop alive is not made dearer (its hysteresis is ``keep_alive_band_s``,
not the dwell), nor is the guard's shedding.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import replace

from .memory import OutletMemory
from .model import OutletInput, Settings


def switches_since(mem: OutletMemory, outlet: OutletInput) -> int:
    """Switches of ``outlet`` since the last cycle: one if its relay changed, two if it is as
    it was but its time since a switch went back (a look released, a guard's cut and a new
    admission). Both compare what the agent reported at the two cycles only, so an agent
    state read late, whose time since a switch lags the cycle's clock, counts no switch."""
    if mem.last.at is None:
        return 0
    if outlet.relay_on != mem.last.relay_on:
        return 1
    since, before = outlet.seconds_since_switch, mem.last.since
    if since is not None and before is not None and since < before:
        return 2
    return 0


class SwitchLog:
    """The strip's switches over the last ``window_s`` (``Settings.wear_window_s``), on the
    laptops' clock."""

    def __init__(self, window_s: float) -> None:
        self._window_s = window_s
        self._log: deque[tuple[float, int]] = deque()
        self._total = 0

    @classmethod
    def of(cls, window_s: float, entries: Iterable[tuple[float, int]]) -> SwitchLog:
        """A log holding ``entries`` (as ``entries()`` gave them), for a restored engine."""
        log = cls(window_s)
        for at, switches in entries:
            log._log.append((at, switches))
            log._total += switches
        return log

    def entries(self) -> tuple[tuple[float, int], ...]:
        """The switches in the window: (time, count), oldest first."""
        return tuple(self._log)

    def add(self, now: float, switches: int) -> None:
        """Record a cycle's switches and forget those older than the window."""
        if switches:
            self._log.append((now, switches))
            self._total += switches
        while self._log and self._log[0][0] <= now - self._window_s:
            self._total -= self._log.popleft()[1]

    def rate(self, outlets: int) -> float:
        """Switches per outlet-hour over the window (the whole window, even before it has
        passed: a strip just started is not taken for a worn one)."""
        if outlets <= 0:
            return 0.0
        return self._total / (outlets * self._window_s / 3600.0)


def worn(settings: Settings, rate: float) -> Settings:
    """``settings`` with a change of who is on made dearer, and looks rarer, by a rate above the
    soft one, and by the most from ``switch_rate_hard`` on; below the soft rate, looks sooner
    (``_spare``)."""
    excess = rate - settings.switch_rate_soft
    if excess <= 0.0:
        return _spare(settings, -excess)
    if rate >= settings.switch_rate_hard:
        factor = settings.wear_max_factor
    else:
        factor = min(settings.wear_max_factor, 1.0 + settings.wear_gain * excess)
    return replace(
        _looks_by(settings, min(factor, settings.wear_look_max_factor)),
        switch_cost_w=settings.switch_cost_w * factor,
        dwell_s=settings.dwell_s * factor,
        unseen_look_s=settings.unseen_look_s * factor,
        guess_w=0.0,
    )


def _spare(settings: Settings, spare: float) -> Settings:
    """``settings`` for a strip switching ``spare`` per outlet-hour under the soft rate: looks
    at outlets where no laptop is known come sooner, by ``spare_look_gain`` per switch of
    spare rate, to ``spare_look_min_factor`` of their interval at most. A laptop without
    reports plugged into an off outlet is seen only by a look, and the switches the rate
    leaves unused cost the relays nothing the rate does not allow; as the looks raise the
    rate, they slow down again by themselves. A forced look keeps its time, as on a worn
    strip."""
    look = max(settings.spare_look_min_factor, 1.0 - settings.spare_look_gain * spare)
    return settings if look >= 1.0 else _looks_by(settings, look)


def _looks_by(settings: Settings, look: float) -> Settings:
    """``settings`` with looks at outlets where no laptop is known ``look`` times as far
    apart. ``probe_force`` counts in intervals: divided as they are multiplied, a forced look
    comes when it would at the configured interval."""
    return replace(
        settings,
        probe_interval_s=settings.probe_interval_s * look,
        max_probe_interval_s=settings.max_probe_interval_s * look,
        probe_force=settings.probe_force / look,
    )
