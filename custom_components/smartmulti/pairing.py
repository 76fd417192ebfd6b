"""Automatic pairing as Home Assistant shows and drives it.

A laptop's reporter finds its outlet by itself (``pi_agent/control/pairing/``): it starts the
pairing and answers each window with its plugged flag, which Home Assistant cannot do. What Home
Assistant can do is forget who reports for an outlet: the agent then tells that outlet's reporter
to pair again on its next battery report (within 30 s), and the reporter does. That is the
``smartmulti.pair_outlet`` action and the strip's "pair again" button.

Shown here: who reports for each outlet (the paired user sensor) and the strip's last pairing,
so a manager sees one that failed or could not decide. Anyone holding the strip's shared reporter
token can pair a laptop under any name, so a name is shown as the user's only when billing would
bill that user for it (``Ledger.claimed_user_name``); otherwise it is shown as claimed, unverified.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.helpers.typing import StateType
from homeassistant.util import dt as dt_util

from .billing.entities import FollowsLedger
from .billing.ledger import Ledger
from .billing.presence import ReporterClaim, reporter_claim
from .client.models import Outlet, StripState
from .client.pairing_run import PairingStatus, PairingView
from .coordinator import (
    SmartMultiCoordinator,
)
from .entity import SmartMultiEntity, SmartMultiOutletEntity
from .entry_kinds import StripConfigEntry
from .targets import TargetKind, asked, async_resolve_targets, device_name, validation_error

# ---------------------------------------------------------------------- making laptops pair again


async def async_pair_again(coordinator: SmartMultiCoordinator, outlet_ids: Iterable[int]) -> None:
    """Forget who reports for these outlets, one request each; the first failure stops it.

    Errors are the coordinator's translated ones (the agent unreachable, the token refused).
    """
    for outlet_id in sorted(outlet_ids):
        await coordinator.async_forget_pairing(outlet_id)


@dataclass(slots=True)
class PairingTarget:
    """The outlets of one strip an action asks to pair again."""

    coordinator: SmartMultiCoordinator
    outlet_ids: set[int]


@callback
def async_pairing_targets(hass: HomeAssistant, call: ServiceCall) -> list[PairingTarget]:
    """The outlets a call targets: an outlet's device, or a strip's (all its outlets)."""
    targets: dict[str, PairingTarget] = {}
    for target in async_resolve_targets(
        hass,
        call,
        {TargetKind.STRIP, TargetKind.OUTLET},
        refused_key="unknown_target",
        unknown_key="unknown_target",
    ):
        entry: StripConfigEntry = target.entry
        if entry.state is not ConfigEntryState.LOADED:
            raise validation_error("strip_not_loaded", name=entry.title)
        coordinator = entry.runtime_data.coordinator
        outlets = set(coordinator.data.state.outlets)
        if target.outlet_id is not None:
            outlets &= {target.outlet_id}
        if not outlets:  # an outlet the strip no longer has
            if target.named:
                raise validation_error("unknown_target", target=device_name(target.device))
            continue
        pairing = targets.setdefault(entry.entry_id, PairingTarget(coordinator, set()))
        pairing.outlet_ids |= outlets
    if not targets:
        raise validation_error("unknown_target", target=asked(call))
    return list(targets.values())


# ---------------------------------------------------------------------- sensors


def _timestamp(wall: float | None) -> datetime | None:
    """An agent wall-clock time as a datetime (the agent's clock, not Home Assistant's)."""
    return None if wall is None else dt_util.utc_from_timestamp(wall)


@dataclass(frozen=True, slots=True)
class ShownUser:
    """Who a reporter's claim is shown as naming."""

    name: str | None  # the verified name (a proven user's configured name)
    verified: bool | None  # None: the reporter names nobody
    claimed_name: str | None  # the name sent, shown apart while nothing proves it

    @classmethod
    def of(cls, claim: ReporterClaim | None, ledger: Ledger) -> ShownUser:
        if claim is None:
            return cls(None, None, None)
        if (name := ledger.claimed_user_name(claim)) is None:
            return cls(None, False, claim.name)
        return cls(name, True, None)

    @property
    def attributes(self) -> dict[str, Any]:
        return {"verified": self.verified, "claimed_name": self.claimed_name}


def _paired_user(outlet: Outlet, ledger: Ledger) -> ShownUser:
    return ShownUser.of(reporter_claim(outlet), ledger)


def _paired_attributes(outlet: Outlet, ledger: Ledger) -> dict[str, Any]:
    paired = outlet.paired
    return {
        "method": None if paired is None else paired.method,
        "confidence": None if paired is None else paired.confidence,
        "since": None if paired is None else _timestamp(paired.since),
        "in_pairing": outlet.in_pairing,
        **_paired_user(outlet, ledger).attributes,
    }


def _pairing_value(pairing: PairingView | None) -> str | None:
    return None if pairing is None or pairing.status is None else pairing.status.value


def _last_pairing_claim(state: StripState) -> ReporterClaim | None:
    """What the last pairing's reporter claims.

    The pairing's own view carries no proof. The proof it gave is the one the outlet it found
    keeps, while that outlet's record is still the one it made (found by pairing, same name):
    a later pairing of that outlet would be the last pairing, a report is ``method: report``.
    """
    pairing = state.pairing
    if pairing is None or not pairing.user:
        return None
    outlet = None if pairing.outlet is None else state.outlets.get(pairing.outlet)
    claim = None if outlet is None else reporter_claim(outlet)
    if claim is not None and not claim.named_by_admin and claim.name == pairing.user:
        return claim
    return ReporterClaim(name=pairing.user, proof=None, named_by_admin=False)


def _pairing_attributes(state: StripState, ledger: Ledger) -> dict[str, Any]:
    pairing = state.pairing
    if pairing is None:
        return {}
    outlet = None if pairing.outlet is None else state.outlets.get(pairing.outlet)
    shown = ShownUser.of(_last_pairing_claim(state), ledger)
    return {
        "outlet": pairing.outlet,
        "outlet_name": None if outlet is None else outlet.name,
        "user": shown.name,
        **shown.attributes,
        "confidence": pairing.confidence,
        "windows": pairing.windows,
        "max_windows": pairing.max_windows,
        "reason": pairing.reason,
        "started_at": _timestamp(pairing.started_at),
        "finished_at": _timestamp(pairing.finished_at),
    }


@dataclass(frozen=True, kw_only=True)
class SmartMultiPairedSensorEntityDescription(SensorEntityDescription):
    """Who reports for an outlet (a sensor of the outlet's device)."""

    value_fn: Callable[[Outlet, Ledger], StateType]
    attributes_fn: Callable[[Outlet, Ledger], dict[str, Any]]


@dataclass(frozen=True, kw_only=True)
class SmartMultiPairingSensorEntityDescription(SensorEntityDescription):
    """The strip's last pairing (a sensor of the strip device)."""

    value_fn: Callable[[StripState], StateType]
    attributes_fn: Callable[[StripState, Ledger], dict[str, Any]]


# Unknown until a laptop reports for the outlet, and while nothing proves the name its reporter
# gives (the attributes then show that name as ``claimed_name``, ``verified`` false): the user
# a proof names, or a name Home Assistant or a manager gave on the admin token.
PAIRED_USER_SENSOR = SmartMultiPairedSensorEntityDescription(
    key="paired_user",
    translation_key="paired_user",
    value_fn=lambda outlet, ledger: _paired_user(outlet, ledger).name,
    attributes_fn=_paired_attributes,
)

LAST_PAIRING_SENSOR = SmartMultiPairingSensorEntityDescription(
    key="last_pairing",
    translation_key="last_pairing",
    device_class=SensorDeviceClass.ENUM,
    options=[status.value for status in PairingStatus],
    entity_category=EntityCategory.DIAGNOSTIC,
    value_fn=lambda state: _pairing_value(state.pairing),
    attributes_fn=_pairing_attributes,
)


class SmartMultiPairedUserSensor(FollowsLedger, SmartMultiOutletEntity, SensorEntity):
    entity_description: SmartMultiPairedSensorEntityDescription

    def __init__(
        self,
        coordinator: SmartMultiCoordinator,
        outlet_id: int,
        description: SmartMultiPairedSensorEntityDescription = PAIRED_USER_SENSOR,
    ) -> None:
        super().__init__(coordinator, outlet_id, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> StateType:
        return self.entity_description.value_fn(self.outlet, self.ledger)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        return self.entity_description.attributes_fn(self.outlet, self.ledger)


class SmartMultiLastPairingSensor(FollowsLedger, SmartMultiEntity, SensorEntity):
    entity_description: SmartMultiPairingSensorEntityDescription

    def __init__(
        self,
        coordinator: SmartMultiCoordinator,
        description: SmartMultiPairingSensorEntityDescription = LAST_PAIRING_SENSOR,
    ) -> None:
        super().__init__(coordinator, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> StateType:
        return self.entity_description.value_fn(self.coordinator.data.state)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        return self.entity_description.attributes_fn(self.coordinator.data.state, self.ledger)
