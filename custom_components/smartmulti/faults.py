"""Faults as repair issues: a stuck relay, a failed meter or a strip that cannot save is a job
for someone.

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


def fault_issue_id(serial: str, outlet_id: int | str) -> str:
    """An outlet's issue (by its id), or the strip's (by the fault's code, e.g. ``storage``)."""
    if isinstance(outlet_id, str):
        return f"strip_fault_{serial}_{outlet_id}"
    return f"outlet_fault_{serial}_{outlet_id}"


class FaultIssues:
    """Raises a repair issue per outlet (or strip-wide fault) that lasts, and withdraws it when
    it clears. Outlets are keyed by their id, strip-wide faults by their code."""

    def __init__(
        self,
        hass: HomeAssistant,
        coordinator: SmartMultiCoordinator,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.hass = hass
        self.coordinator = coordinator
        self._clock = clock
        self._since: dict[int | str, float] = {}
        self._raised: dict[int | str, str] = {}  # outlet id or code -> the text the issue shows
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
        state = self.coordinator.data.state
        outlets, faults = state.outlets, state.faults
        for key in [
            k for k in (*self._since, *self._raised) if k not in outlets and k not in faults
        ]:
            self._clear(key)
        waiting: list[float] = []
        current: list[tuple[int | str, str, str | None]] = [
            (outlet.id, outlet.name, outlet.fault) for outlet in outlets.values()
        ]
        current += [(code, "", fault) for code, fault in faults.items()]
        for key, name, fault in current:
            if fault is None:
                self._clear(key)
                continue
            since = self._since.setdefault(key, now)
            if now - since < FAULT_GRACE_S:
                waiting.append(since + FAULT_GRACE_S - now)
            elif self._raised.get(key) != fault:
                self._raise(key, name, fault)
        if waiting and self._recheck is None:
            self._recheck = async_call_later(self.hass, min(waiting), self._recheck_now)

    @callback
    def _recheck_now(self, _now: object) -> None:
        self._recheck = None
        self.async_update()

    def _raise(self, outlet_id: int | str, name: str, fault: str) -> None:
        self._raised[outlet_id] = fault
        strip = self.coordinator.data.info.name
        if isinstance(outlet_id, str):
            key, placeholders = f"strip_fault_{outlet_id}", {"strip": strip, "fault": fault}
        else:
            key, placeholders = "outlet_fault", {"outlet": name, "strip": strip, "fault": fault}
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            fault_issue_id(self.serial, outlet_id),
            is_fixable=False,
            is_persistent=False,
            severity=ir.IssueSeverity.ERROR
            if isinstance(outlet_id, str)
            else ir.IssueSeverity.WARNING,
            translation_key=key,
            translation_placeholders=placeholders,
        )

    def _clear(self, outlet_id: int | str) -> None:
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
