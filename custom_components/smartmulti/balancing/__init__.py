"""SmartMulti's balancing engine: plain Python, no Home Assistant imports.

Entry points: ``Balancer(settings).plan(StripInput) -> StripPlan`` for one strip, in one call
or in steps (``observe``, ``demand``, ``plan_within``), and ``SiteBalancer`` / ``split_budget``
for strips sharing circuits.
"""

from .circuits import Circuit, split_budget
from .engine import Balancer, Demand, Observation
from .model import (
    BatteryReport,
    ChargeState,
    OutletDecision,
    OutletInput,
    Reason,
    Settings,
    Strategy,
    StripInput,
    StripPlan,
)
from .need import Need, NeedLevel
from .site_balancer import SiteBalancer, SitePlan

__all__ = [
    "Balancer",
    "BatteryReport",
    "ChargeState",
    "Circuit",
    "Demand",
    "Need",
    "NeedLevel",
    "Observation",
    "OutletDecision",
    "OutletInput",
    "Reason",
    "Settings",
    "SiteBalancer",
    "SitePlan",
    "Strategy",
    "StripInput",
    "StripPlan",
    "split_budget",
]
