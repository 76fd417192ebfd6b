"""What a loaded strip entry holds (``entry.runtime_data``).

Its own module so that the coordinator and the planner, which it holds, need not import each
other.
"""

from __future__ import annotations

from dataclasses import dataclass

from .client import SmartMultiClient
from .coordinator import SmartMultiCoordinator
from .planning.strip import StripPlanner


@dataclass(slots=True)
class StripRuntimeData:
    """A strip's client, its coordinator (state and commands) and its planner."""

    client: SmartMultiClient
    coordinator: SmartMultiCoordinator
    planner: StripPlanner
