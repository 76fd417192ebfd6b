"""Whose laptop is on an outlet, and whether one is there at all: what starts and ends sessions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ..client.models import Outlet

# A relay just switched on draws nothing for a moment (the charger negotiates).
SETTLE_S: Final = 5.0
# A laptop's plugged flag lags its charger by about a second.
PLUG_LAG_S: Final = 2.0
# A reporter's plugged flag is trusted this long; after that the draw decides.
REPORT_FRESH_S: Final = 300.0


@dataclass(frozen=True, slots=True)
class ReporterClaim:
    """Whose laptop the reporter paired with an outlet says it is.

    Anyone holding the strip's shared reporter token can pair a laptop under any name, so a
    name from a pairing (``named_by_admin`` false) bills nobody unless it comes with
    ``proof``: a digest only the holder of that user's personal link can make
    (``coworker.links.reporter_proof``). A name given on the agent's admin token (Home
    Assistant relaying a phone's report, a manager issuing a credential) is trusted as is.
    """

    name: str
    proof: str | None
    named_by_admin: bool

    @property
    def key(self) -> str:
        """What the ledger remembers of the claim, to act on changes only: the same name with
        another proof (a link renewed, another laptop) is a new claim."""
        return self.name if self.proof is None else f"{self.name}\n{self.proof}"


def reporter_claim(outlet: Outlet) -> ReporterClaim | None:
    """What the reporter the agent pairs with the outlet says, if it names anyone."""
    paired = outlet.raw.get("paired")
    if not isinstance(paired, dict) or not paired.get("user"):
        return None
    proof = paired.get("user_proof")
    return ReporterClaim(
        name=str(paired["user"]),
        proof=proof if isinstance(proof, str) else None,
        named_by_admin=paired.get("method") == "report",
    )


def laptop_gone(outlet: Outlet, agent_now: float) -> bool:
    """Whether the outlet shows no laptop now: the end of a session, once it lasts.

    Only an outlet that is on can tell (an outlet switched off draws nothing, and a simulated
    or real laptop then reports itself unplugged). A fresh report from the laptop's reporter,
    sent after the relay last switched, decides; otherwise the draw does: under the idle
    threshold, once the charger had time to start.
    """
    if not outlet.relay:
        return False
    switched = outlet.last_switch_at
    battery = outlet.battery
    if (
        battery is not None
        and battery.reported_at is not None
        and agent_now - battery.reported_at <= REPORT_FRESH_S
        and (switched is None or battery.reported_at >= switched + PLUG_LAG_S)
    ):
        return not battery.plugged
    if switched is not None and agent_now - switched < SETTLE_S:
        return False
    return outlet.idle_draw
