"""A billing session: a user on an outlet, with the counter at its start and at its stop.

A session is an OCPP transaction: its energy is what its outlet's counter gained between its
start and its stop, at the price of the moments the energy was drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from homeassistant.util import ulid as ulid_util

from .store import stored_datetime
from .users import UserConfig


class StartReason(StrEnum):
    """Who started a session."""

    PAIRED = "paired"  # the laptop's reporter names the user
    ASSIGNED = "assigned"  # a manager chose the user on the outlet's user select
    SERVICE = "service"  # smartmulti.start_session (an NFC tag, a QR code...)


class EndReason(StrEnum):
    """Why a session ended."""

    LEFT = "left"  # unplugged, or nothing drawn, for the configured time
    CLAIMED = "claimed"  # another user's laptop, assignment or start_session
    UNASSIGNED = "unassigned"  # a manager set the outlet's user select to nobody
    STOPPED = "stopped"  # smartmulti.stop_session
    CLOSING = "closing"  # the space closes (smartmulti.shutdown)
    USER_REMOVED = "user_removed"
    STRIP_REMOVED = "strip_removed"


@dataclass(slots=True)
class Session:
    """A user on an outlet: an OCPP transaction, with the counter at its start and stop."""

    id: str
    user_id: str
    user: str  # the user's name at the start: billing still names a user removed since
    strip: str  # the strip's serial
    strip_name: str
    outlet: int
    outlet_name: str
    started_at: datetime
    start_reason: str
    meter_start_wh: float
    meter_stop_wh: float  # the last counter counted while open, the stop counter once ended
    price_percent: float
    energy_wh: float = 0.0
    cost: float = 0.0
    ended_at: datetime | None = None
    end_reason: str | None = None

    @classmethod
    def begin(
        cls,
        user: UserConfig,
        *,
        strip: str,
        strip_name: str,
        outlet: int,
        outlet_name: str,
        counter_wh: float,
        reason: str,
        now: datetime,
    ) -> Session:
        """A new open session of ``user``, from the outlet's counted ``counter_wh``."""
        return cls(
            id=ulid_util.ulid_now(),
            user_id=user.id,
            user=user.name,
            strip=strip,
            strip_name=strip_name,
            outlet=outlet,
            outlet_name=outlet_name,
            started_at=now,
            start_reason=reason,
            meter_start_wh=counter_wh,
            meter_stop_wh=counter_wh,
            price_percent=user.price_percent,
        )

    @property
    def open(self) -> bool:
        return self.ended_at is None

    @property
    def place(self) -> str:
        return f"{self.outlet_name} ({self.strip_name})"

    def add(self, delta_wh: float, price: float, counter_wh: float) -> float:
        """Energy drawn in the session at ``price`` a kWh; returns its cost to the user."""
        cost = delta_wh / 1000.0 * price * self.price_percent / 100.0
        self.energy_wh += delta_wh
        self.cost += cost
        self.meter_stop_wh = counter_wh
        return cost

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "user_id": self.user_id,
            "user": self.user,
            "strip": self.strip,
            "strip_name": self.strip_name,
            "outlet": self.outlet,
            "outlet_name": self.outlet_name,
            "started_at": self.started_at.isoformat(),
            "start_reason": self.start_reason,
            "meter_start_wh": self.meter_start_wh,
            "meter_stop_wh": self.meter_stop_wh,
            "price_percent": self.price_percent,
            "energy_wh": self.energy_wh,
            "cost": self.cost,
            "ended_at": None if self.ended_at is None else self.ended_at.isoformat(),
            "end_reason": self.end_reason,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Session:
        ended = data.get("ended_at")
        return cls(
            id=data["id"],
            user_id=data["user_id"],
            user=data["user"],
            strip=data["strip"],
            strip_name=data["strip_name"],
            outlet=int(data["outlet"]),
            outlet_name=data["outlet_name"],
            started_at=stored_datetime(data["started_at"]),
            start_reason=data["start_reason"],
            meter_start_wh=float(data["meter_start_wh"]),
            meter_stop_wh=float(data["meter_stop_wh"]),
            price_percent=float(data["price_percent"]),
            energy_wh=float(data["energy_wh"]),
            cost=float(data["cost"]),
            ended_at=None if ended is None else stored_datetime(ended),
            end_reason=data.get("end_reason"),
        )
