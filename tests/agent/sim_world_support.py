"""A laptop model and a way of advancing the simulated world, shared by the world's tests and the
schedule's.

Both drive ``pi_agent.sim.world.World`` the way the agent's sampling loop does and need laptops
whose figures they can check by hand; keeping the model and the stepping here gives both test
modules the same figures without either depending on the other.
"""

from __future__ import annotations

from pi_agent.sim.physics import LaptopSpec
from pi_agent.sim.world import World

# Battery 50 Wh charging at 45 W while the laptop uses 10 W, through a 90 % efficient charger.
SPEC = LaptopSpec(capacity_wh=50.0, charge_w=55.0, use_w=10.0, cv_soc=0.8, efficiency=0.9)


def run(world: World, real_s: float, tick_s: float = 0.2) -> None:
    """Advance like the agent's sampling loop does."""
    for _ in range(round(real_s / tick_s)):
        world.advance(tick_s)
