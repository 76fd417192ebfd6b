"""The pace and the accuracy of the simulated-hour tests: how much faster than real time the world
runs, how long the hour is, and how far a real meter may read below the truth.

A single strip's simulated hour and the circuits' simulated hour of two strips judge their draws
against their budget the same way; sharing these figures keeps the two checks comparable and
neither test module depends on the other.
"""

from __future__ import annotations

SPEED = 120.0  # simulated seconds per real second
HOUR_S = 3600.0
# Real meters are this accurate; the planner counts measured draws, the truth may be above.
METER_TOLERANCE = 0.02
