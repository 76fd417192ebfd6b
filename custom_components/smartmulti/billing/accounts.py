"""An outlet's account in the ledger: the counter it last counted, and the rule that counts it.

The agent's counters never decrease while its ``energy_epoch`` stays the same; within an epoch a
counter lower than the one counted means the agent restarted from a save up to 10 s old (after a
kill -9): the ledger counts on from the lower value, since what the counter gains from there is
new energy (the energy sensors hold their last shown value meanwhile: ``shown_wh``). A new epoch
means the agent lost its state (a new SD card): its counters restarted at 0, and everything they
show is new energy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..const import LOGGER


def account_key(serial: str, outlet_id: int) -> str:
    """An account's key in the ledger (and its storage): ``<strip serial>:<outlet id>``."""
    return f"{serial}:{outlet_id}"


def account_serial(key: str) -> str:
    """The strip serial of an account's key."""
    return key.rsplit(":", 1)[0]


@dataclass(slots=True)
class OutletAccount:
    """What the ledger knows of one outlet's counter and session."""

    epoch: str | None
    counted_wh: float  # energy up to this counter value is attributed
    shown_wh: float  # the highest counter shown in this epoch (the energy sensors hold it)
    session: str | None = None  # the open session's id
    paired: str | None = None  # the last reporter user seen, to act on changes only
    # Held off by a manual command an earlier version's cut-off left: given back to the plan once.
    held_off: bool = False
    # The session started while the strip was unreachable: the counter then is unknown (higher
    # than ``counted_wh`` by whatever was drawn meanwhile), so it starts from the next one read.
    start_unread: bool = False
    # Since when (Home Assistant's monotonic clock) the outlet has shown no laptop; not saved.
    # Monotonic, so that a wall clock set back does not hold the session open for as long.
    gone_since: float | None = field(default=None, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch,
            "counted_wh": self.counted_wh,
            "shown_wh": self.shown_wh,
            "session": self.session,
            "paired": self.paired,
            "held_off": self.held_off,
            "start_unread": self.start_unread,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OutletAccount:
        return cls(
            epoch=data.get("epoch"),
            counted_wh=float(data["counted_wh"]),
            shown_wh=float(data.get("shown_wh", data["counted_wh"])),
            session=data.get("session"),
            paired=data.get("paired"),
            held_off=bool(data.get("held_off", False)),
            start_unread=bool(data.get("start_unread", False)),
        )

    def count(self, key: str, epoch: str | None, counter: float, restarted: bool) -> float | None:
        """What the outlet's counter gained since it was last counted: the energy to attribute.

        A counter lower than the one counted, in the same epoch, is an agent restarted from an
        older save when the agent may have restarted (``restarted``): the account counts on
        from it (0.0: nothing to attribute, the account changed). Otherwise it is an older value
        arriving late (a stream update overtaken by a command's answer): the account waits for
        the counter to pass the one it counted. None: nothing gained.
        """
        if self.epoch != epoch:
            LOGGER.debug(
                "Outlet %s counted %.3f Wh until its strip lost its counters; counting from 0",
                key,
                self.counted_wh,
            )
            delta = counter
            self.epoch, self.shown_wh = epoch, counter
        elif counter < self.counted_wh:
            if not restarted:
                return None
            LOGGER.debug(
                "Outlet %s restarted from an older save (%.3f Wh < %.3f Wh): counting on from it",
                key,
                counter,
                self.counted_wh,
            )
            self.counted_wh = counter
            return 0.0
        else:
            delta = counter - self.counted_wh
        self.counted_wh = counter
        self.shown_wh = max(self.shown_wh, counter)
        return delta if delta > 0 else None

    def shown(self, epoch: str | None, counter: float) -> float:
        """The counter an energy sensor shows: within an epoch it never goes back."""
        if self.epoch != epoch:
            return counter
        self.shown_wh = max(self.shown_wh, counter)
        return self.shown_wh
