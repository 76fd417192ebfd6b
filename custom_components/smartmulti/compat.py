"""What differs between the oldest supported Home Assistant (2025.4) and the current one.

Each helper takes the current API when it exists and falls back to the old one otherwise, and
names the oldest release that lets it go: when the minimum in hacs.json reaches that release,
the helper is replaced by the current call.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any, cast

from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo

if TYPE_CHECKING:
    # Validation is probatio's since Home Assistant aliased ``voluptuous`` to it; the oldest
    # supported release ships voluptuous itself, and ``import voluptuous`` finds whichever the
    # running Home Assistant has. Goes with the first release that ships probatio.
    from homeassistant.helpers.target import SelectedEntities
    import probatio as vol
else:
    import voluptuous as vol

__all__ = [
    "async_referenced_targets",
    "child_device_info",
    "device_by_identifier",
    "device_entry_ids",
    "vol",
]


@callback
def async_referenced_targets(hass: HomeAssistant, call: ServiceCall) -> SelectedEntities:
    """The entities, devices, areas, floors and labels a service call targets, groups unexpanded.

    Goes with 2025.7 (``helpers.target`` with a ``TargetSelection``; the service helper it
    replaces was removed in 2026.8).
    """
    try:
        target = import_module("homeassistant.helpers.target")
    except ImportError:  # pragma: no cover - the oldest release
        service = import_module("homeassistant.helpers.service")
        return cast(
            "SelectedEntities",
            service.async_extract_referenced_entity_ids(hass, call, expand_group=False),
        )
    return cast(
        "SelectedEntities",
        target.async_extract_referenced_entity_ids(
            hass, target.TargetSelection(call.data), expand_group=False
        ),
    )


@callback
def device_by_identifier(
    registry: dr.DeviceRegistry, identifier: tuple[str, str], entry_id: str
) -> dr.DeviceEntry | None:
    """The device of this config entry with this identifier.

    Identifiers are unique only within a config entry since 2026.8; goes with 2026.8.
    """
    if hasattr(registry, "async_get_device_by_identifier"):
        device: dr.DeviceEntry | None = registry.async_get_device_by_identifier(
            identifier, entry_id
        )
        return device
    device = registry.async_get_device(identifiers={identifier})  # pragma: no cover
    if device is None or entry_id not in device_entry_ids(device):  # pragma: no cover
        return None
    return device  # pragma: no cover


def device_entry_ids(device: dr.DeviceEntry) -> set[str]:
    """The config entries a device belongs to: exactly one since 2026.8; goes with 2026.8."""
    if (entry_id := getattr(device, "config_entry_id", None)) is not None:
        return {entry_id}
    return set(device.config_entries)  # pragma: no cover - the oldest release


def child_device_info(
    hass: HomeAssistant, entry_id: str, parent: tuple[str, str], **info: Any
) -> DeviceInfo:
    """A device that hangs off ``parent``, a device of the same entry registered before it.

    Since 2026.8 the link names the parent's registry id (``via_device_id``); before, its
    identifier (``via_device``). Goes with 2026.8.
    """
    fields: dict[str, Any] = dict(info)
    if "via_device_id" in DeviceInfo.__annotations__:
        parent_device = device_by_identifier(dr.async_get(hass), parent, entry_id)
        if parent_device is not None:
            fields["via_device_id"] = parent_device.id
    else:  # pragma: no cover - the oldest release
        fields["via_device"] = parent
    return cast(DeviceInfo, fields)
