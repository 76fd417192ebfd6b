"""What billing tells the planner about an outlet's user: plain data, no Home Assistant types.

The ledger computes these; the planner turns them into the engine's input. A held outlet is
planned off, so the plan stays the only writer of a balanced outlet's relay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class OutletHints:
    """What the engine may know of an outlet's user, only while the user's session is open.

    ``tier``: higher is served first; ``departure``: when the user usually leaves (the engine
    aims to reach ``target_percent`` by then); ``held``: the user reached a limit with cut-off.
    """

    tier: int = 0
    departure: datetime | None = None
    target_percent: float = 100.0
    held: bool = False


NO_HINTS = OutletHints()
