"""An outlet rated below what it really draws, as a repair issue for the installer.

An outlet's rating (``max_power_w`` in the agent's configuration) is what the strip counts a
draw it has not read yet at. The agent keeps the most each outlet's laptop has drawn and counts
it at that once it is above the rating, so the strip stays within its limit; but each new
laptop there starts from the rating again, and until its draw is seen, its switch-on is
counted short and the guard has to cut it. The fix is the installer's: raise the rating.
Issues are not persistent: after a restart of Home Assistant they are raised again once the
agent sees such a draw again.
"""

from __future__ import annotations

import math

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN
from .coordinator import SmartMultiCoordinator


def rating_issue_id(serial: str, outlet_id: int) -> str:
    return f"outlet_rating_{serial}_{outlet_id}"


class RatingIssues:
    """Raises a repair issue per balanced outlet that drew above its rating, and withdraws it
    once the rating covers the most it drew."""

    def __init__(self, hass: HomeAssistant, coordinator: SmartMultiCoordinator) -> None:
        self.hass = hass
        self.coordinator = coordinator
        self.serial = coordinator.data.info.serial  # the issues' ids: the strip it was set up on
        self._raised: dict[int, tuple[float, float]] = {}  # outlet -> (drawn, rating) shown

    @callback
    def async_update(self) -> None:
        """Follow the agent's state (a coordinator listener)."""
        if not self.coordinator.last_update_success:
            return
        outlets = self.coordinator.data.state.outlets
        for outlet_id in [o for o in self._raised if o not in outlets]:
            self._clear(outlet_id)
        for outlet in outlets.values():
            # The agent forgets a draw once its laptop leaves; the issue stands until the
            # rating covers the most it showed (whole watts, rounded up: the rating to set).
            drawn_before = self._raised.get(outlet.id, (0.0, 0.0))[0]
            drawn = max(drawn_before, float(math.ceil(outlet.drawn_max_w)))
            if outlet.exception or drawn <= outlet.max_power_w:
                self._clear(outlet.id)
                continue
            shown = (drawn, outlet.max_power_w)
            if self._raised.get(outlet.id) == shown:
                continue
            self._raised[outlet.id] = shown
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                rating_issue_id(self.serial, outlet.id),
                is_fixable=False,
                is_persistent=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key="outlet_rating",
                translation_placeholders={
                    "outlet": outlet.name,
                    "strip": self.coordinator.data.info.name,
                    "drawn": f"{shown[0]:g}",
                    "rating": f"{outlet.max_power_w:g}",
                },
            )

    def _clear(self, outlet_id: int) -> None:
        if self._raised.pop(outlet_id, None) is not None:
            ir.async_delete_issue(self.hass, DOMAIN, rating_issue_id(self.serial, outlet_id))

    @callback
    def async_stop(self) -> None:
        """The entry unloads: nobody follows the strip any more, so its issues go too."""
        for outlet_id in list(self._raised):
            self._clear(outlet_id)
