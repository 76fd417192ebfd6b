"""Outlet faults as repair issues: a stuck relay or a failed meter is a job for someone.

The outlet's state already says "fault", but a manager does not watch 16 state sensors; a
repair issue reaches them in Settings. A fault must last ``FAULT_GRACE_S`` first: the agent
also reports transient ones (a glitch read that clears at the next sample), which would only
raise and withdraw issues. Issues are not persistent: after a restart they are raised again
from the agent's state if the fault is still there.
"""

from __future__ import annotations

from collections.abc import Callable
import time
from typing import Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_call_later

from .const import DOMAIN
from .coordinator import SmartMultiCoordinator

FAULT_GRACE_S: Final = 30.0


def fault_issue_id(serial: str, outlet_id: int) -> str:
    return f"outlet_fault_{serial}_{outlet_id}"


class FaultIssues:
    """Raises a repair issue per outlet whose fault lasts, and withdraws it when it clears."""

    def __init__(
        self,
        hass: HomeAssistant,
        coordinator: SmartMultiCoordinator,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.hass = hass
        self.coordinator = coordinator
        self._clock = clock
        self._since: dict[int, float] = {}
        self._raised: dict[int, str] = {}  # outlet id -> the fault text the issue shows
        self._recheck: CALLBACK_TYPE | None = None

    @property
    def serial(self) -> str:
        return self.coordinator.data.info.serial

    @callback
    def async_update(self) -> None:
        """Follow the agent's state (a coordinator listener)."""
        if not self.coordinator.last_update_success:
            return  # an unreachable agent is not an outlet fault; keep what is known
        now = self._clock()
        outlets = self.coordinator.data.state.outlets
        for outlet_id in [o for o in (*self._since, *self._raised) if o not in outlets]:
            self._clear(outlet_id)
        waiting: list[float] = []
        for outlet in outlets.values():
            if outlet.fault is None:
                self._clear(outlet.id)
                continue
            since = self._since.setdefault(outlet.id, now)
            if now - since < FAULT_GRACE_S:
                waiting.append(since + FAULT_GRACE_S - now)
            elif self._raised.get(outlet.id) != outlet.fault:
                self._raise(outlet.id, outlet.name, outlet.fault)
        if waiting and self._recheck is None:
            self._recheck = async_call_later(self.hass, min(waiting), self._recheck_now)

    @callback
    def _recheck_now(self, _now: object) -> None:
        self._recheck = None
        self.async_update()

    def _raise(self, outlet_id: int, name: str, fault: str) -> None:
        self._raised[outlet_id] = fault
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            fault_issue_id(self.serial, outlet_id),
            is_fixable=False,
            is_persistent=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="outlet_fault",
            translation_placeholders={
                "outlet": name,
                "strip": self.coordinator.data.info.name,
                "fault": fault,
            },
        )

    def _clear(self, outlet_id: int) -> None:
        self._since.pop(outlet_id, None)
        if self._raised.pop(outlet_id, None) is not None:
            ir.async_delete_issue(self.hass, DOMAIN, fault_issue_id(self.serial, outlet_id))

    @callback
    def async_stop(self) -> None:
        """The entry unloads: nobody follows the strip any more, so its issues go too."""
        if self._recheck is not None:
            self._recheck()
            self._recheck = None
        for outlet_id in list(self._raised):
            self._clear(outlet_id)
