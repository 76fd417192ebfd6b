"""What billing tells the planner about an outlet's user: plain data, no Home Assistant types.

The ledger computes these; the planner turns them into the engine's input. A held outlet is
planned off, so the plan stays the only writer of a balanced outlet's relay.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


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


class HintsSource(Protocol):
    """Where a strip's planner reads its outlets' hints (the ledger), and hears they changed."""

    def outlet_hints(self, serial: str) -> Mapping[int, OutletHints]:
        """The hints of the strip's outlets that have any, by outlet id."""

    def async_add_hints_listener(
        self, serial: str, changed: Callable[[], None]
    ) -> Callable[[], None]:
        """Call ``changed`` whenever the strip's hints change; returns the unsubscribe."""
