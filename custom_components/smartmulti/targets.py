"""One resolver for the targets of the integration's service actions.

A call names devices, entities, areas, floors or labels (``cv.TARGET_SERVICE_FIELDS``); an
action acts on SmartMulti strips, outlets, circuits or users. ``async_resolve_targets`` turns the
first into the second, and ``async_resolve_one`` a single device or entity id given in a plain
field, with one rule for every action:

- a target that does not exist is refused (``unknown_key``, placeholder ``target``);
- a device named in the call (directly, or through one of its entities) must be of a kind the
  action takes, else it is refused (``refused_key``, placeholder ``target``: its name);
- a device found through an area, a floor or a label is taken if it is of such a kind, and
  skipped if not (an area holds lamps too);
- a call that finds nothing is refused (``refused_key``, placeholder ``target``: what it asked).

Errors are ``ServiceValidationError``s with the integration's translations.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import (
    ATTR_AREA_ID,
    ATTR_DEVICE_ID,
    ATTR_ENTITY_ID,
    ATTR_FLOOR_ID,
    ATTR_LABEL_ID,
)
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er

from .compat import async_referenced_targets, device_entry_ids
from .const import DOMAIN
from .entry_kinds import is_billing_entry, is_circuit_entry, is_strip_entry
from .identifiers import (
    USER_IDENTIFIER_PREFIX,
    circuit_device_identifier,
    outlet_identifier_prefix,
    strip_device_identifier,
)

TARGET_KEYS: Final = (ATTR_DEVICE_ID, ATTR_ENTITY_ID, ATTR_AREA_ID, ATTR_FLOOR_ID, ATTR_LABEL_ID)


class TargetKind(StrEnum):
    """What a SmartMulti device stands for."""

    STRIP = "strip"
    OUTLET = "outlet"
    CIRCUIT = "circuit"
    USER = "user"


@dataclass(frozen=True, slots=True)
class Target:
    """A SmartMulti device a call targets, and what it stands for.

    An outlet's target has its ``outlet_id``, a user's its ``user_id``; a strip's or a
    circuit's is its entry.
    """

    kind: TargetKind
    entry: ConfigEntry[Any]
    device: dr.DeviceEntry
    outlet_id: int | None = None
    user_id: str | None = None
    named: bool = True  # named in the call, not found through an area, a floor or a label


def has_targets(call: ServiceCall) -> bool:
    """Whether the call names any target at all (some actions then act on every strip)."""
    return any(call.data.get(key) for key in TARGET_KEYS)


@callback
def async_resolve_targets(
    hass: HomeAssistant,
    call: ServiceCall,
    kinds: Collection[TargetKind],
    *,
    refused_key: str,
    unknown_key: str = "unknown_device",
) -> list[Target]:
    """The SmartMulti devices of ``kinds`` a call targets, in the order of their device ids."""
    targets: list[Target] = []
    for device, named in _referenced_devices(hass, call, unknown_key):
        target = device_target(hass, device)
        if target is not None and target.kind in kinds:
            targets.append(replace(target, named=named))
        elif named:
            raise validation_error(refused_key, target=device_name(device))
    if not targets:
        raise validation_error(refused_key, target=asked(call))
    return targets


@callback
def async_resolve_one(hass: HomeAssistant, value: str) -> Target | None:
    """What one device id, or one entity id of a device, stands for (an action's plain field,
    e.g. billing's ``outlet`` and ``user``); None when it is not a SmartMulti device."""
    device_id: str | None = value
    if (entity := er.async_get(hass).async_get(value)) is not None:
        device_id = entity.device_id
    device = None if device_id is None else dr.async_get(hass).async_get(device_id)
    if not isinstance(device, dr.DeviceEntry):  # none, or a part of another's device
        return None
    return device_target(hass, device)


@callback
def device_target(hass: HomeAssistant, device: dr.DeviceEntry) -> Target | None:
    """What a SmartMulti device stands for; None for another integration's device."""
    for entry_id in device_entry_ids(device):
        entry = hass.config_entries.async_get_entry(entry_id)
        if entry is None or entry.domain != DOMAIN:
            continue
        for domain, identifier in device.identifiers:
            if domain == DOMAIN and (target := _target(entry, device, identifier)) is not None:
                return target
    return None


def _target(entry: ConfigEntry[Any], device: dr.DeviceEntry, identifier: str) -> Target | None:
    """Read from the device's identifier, as the entity modules and billing write them."""
    if is_strip_entry(entry) and (serial := entry.unique_id):
        if (DOMAIN, identifier) == strip_device_identifier(serial):
            return Target(TargetKind.STRIP, entry, device)
        outlet = identifier.removeprefix(outlet_identifier_prefix(serial))
        if outlet != identifier and outlet.isdigit():
            return Target(TargetKind.OUTLET, entry, device, outlet_id=int(outlet))
    elif is_circuit_entry(entry):
        if (DOMAIN, identifier) == circuit_device_identifier(entry.entry_id):
            return Target(TargetKind.CIRCUIT, entry, device)
    elif is_billing_entry(entry) and identifier.startswith(USER_IDENTIFIER_PREFIX):
        user_id = identifier.removeprefix(USER_IDENTIFIER_PREFIX)
        return Target(TargetKind.USER, entry, device, user_id=user_id)
    return None


@callback
def _referenced_devices(
    hass: HomeAssistant, call: ServiceCall, unknown_key: str
) -> list[tuple[dr.DeviceEntry, bool]]:
    """Every device a call refers to, and whether it was named (not found through an area)."""
    selected = async_referenced_targets(hass, call)
    if missing := (
        selected.missing_devices
        | selected.missing_areas
        | selected.missing_floors
        | selected.missing_labels
    ):
        raise validation_error(unknown_key, target=", ".join(sorted(missing)))
    named = set(_as_list(call.data.get(ATTR_DEVICE_ID)))
    entities = er.async_get(hass)
    for entity_id in sorted(selected.referenced):
        entity = entities.async_get(entity_id)
        if entity is None or entity.device_id is None:
            raise validation_error(unknown_key, target=entity_id)
        named.add(entity.device_id)
    registry = dr.async_get(hass)
    devices: list[tuple[dr.DeviceEntry, bool]] = []
    for device_id in sorted(named | selected.referenced_devices):
        if (device := registry.async_get(device_id)) is None:
            raise validation_error(unknown_key, target=device_id)
        if isinstance(device, dr.DeviceEntry):  # not a part of another integration's device
            devices.append((device, device_id in named))
    return devices


def device_name(device: dr.DeviceEntry) -> str:
    return device.name_by_user or device.name or device.id


def asked(call: ServiceCall) -> str:
    """What a call targets, as given (for an error that found nothing)."""
    items = [item for key in TARGET_KEYS for item in _as_list(call.data.get(key))]
    return ", ".join(items) or "-"


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(item) for item in value] if isinstance(value, list | tuple | set) else [str(value)]


def validation_error(key: str, **placeholders: str) -> ServiceValidationError:
    """A refused target, translated (``exceptions.<key>`` in the translations)."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )
