"""The service-target resolver: a call's devices, entities and areas to strips, outlets,
circuits and users, by one rule for every action."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from homeassistant.const import ATTR_AREA_ID, ATTR_DEVICE_ID, ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import (
    area_registry as ar,
    config_validation as cv,
    device_registry as dr,
)
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartmulti.compat import vol
from custom_components.smartmulti.const import DOMAIN
from custom_components.smartmulti.identifiers import (
    circuit_device_identifier,
    outlet_device_identifier,
    strip_device_identifier,
    user_device_identifier,
)
from custom_components.smartmulti.targets import Target, TargetKind, async_resolve_targets

from .billing_support import billing_entry, user_ids
from .conftest import circuit_entry, setup_entries
from .devices import device_with

SERVICE = "resolve_for_test"


async def _resolve(
    hass: HomeAssistant, kinds: Collection[TargetKind], **target: Any
) -> list[Target]:
    """Resolve through a real service call, as the integration's actions do."""
    found: list[Target] = []

    async def handler(call: ServiceCall) -> None:
        found.extend(async_resolve_targets(hass, call, kinds, refused_key="not_a_strip"))

    hass.services.async_register(
        DOMAIN, SERVICE, handler, schema=vol.Schema(cv.TARGET_SERVICE_FIELDS)
    )
    await hass.services.async_call(DOMAIN, SERVICE, target, blocking=True)
    return found


def _device(hass: HomeAssistant, identifier: tuple[str, str]) -> dr.DeviceEntry:
    device = device_with(hass, identifier)
    assert device is not None
    return device


async def test_each_kind_of_device_resolves_to_what_it_stands_for(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    circuit = circuit_entry(hass, "Room", 3000.0)
    billing = billing_entry(hass, {"Alice": {}})
    mock_config_entry.add_to_hass(hass)
    await setup_entries(hass, mock_config_entry, circuit, billing)
    serial = mock_config_entry.unique_id
    assert serial is not None
    alice = user_ids(billing)["Alice"]
    devices = {
        "strip": _device(hass, strip_device_identifier(serial)),
        "outlet": _device(hass, outlet_device_identifier(serial, 3)),
        "circuit": _device(hass, circuit_device_identifier(circuit.entry_id)),
        "user": _device(hass, user_device_identifier(alice)),
    }

    targets = await _resolve(
        hass, set(TargetKind), **{ATTR_DEVICE_ID: [d.id for d in devices.values()]}
    )

    by_kind = {target.kind: target for target in targets}
    assert set(by_kind) == set(TargetKind)
    assert by_kind[TargetKind.STRIP].entry is mock_config_entry
    assert by_kind[TargetKind.OUTLET].entry is mock_config_entry
    assert by_kind[TargetKind.OUTLET].outlet_id == 3
    assert by_kind[TargetKind.CIRCUIT].entry is circuit
    assert by_kind[TargetKind.USER].entry is billing
    assert by_kind[TargetKind.USER].user_id == alice
    assert all(target.named for target in targets)


async def test_a_named_device_of_another_kind_is_refused_one_in_an_area_is_skipped(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    serial = init_integration.unique_id
    assert serial is not None
    strip = _device(hass, strip_device_identifier(serial))
    outlet = _device(hass, outlet_device_identifier(serial, 1))
    area = ar.async_get(hass).async_create("Open space")
    registry = dr.async_get(hass)
    for device in (strip, outlet):
        registry.async_update_device(device.id, area_id=area.id)

    with pytest.raises(ServiceValidationError) as refused:
        await _resolve(hass, {TargetKind.STRIP}, **{ATTR_DEVICE_ID: outlet.id})
    assert refused.value.translation_key == "not_a_strip"
    assert refused.value.translation_placeholders == {"target": "Desk 1"}

    (found,) = await _resolve(hass, {TargetKind.STRIP}, **{ATTR_AREA_ID: area.id})
    assert (found.kind, found.device.id, found.named) == (TargetKind.STRIP, strip.id, False)


async def test_an_unknown_target_is_refused_and_nothing_found_says_what_was_asked(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError) as unknown:
        await _resolve(hass, {TargetKind.STRIP}, **{ATTR_ENTITY_ID: "sensor.nowhere"})
    assert unknown.value.translation_key == "unknown_device"

    area = ar.async_get(hass).async_create("Kitchen")
    with pytest.raises(ServiceValidationError) as nothing:
        await _resolve(hass, {TargetKind.STRIP}, **{ATTR_AREA_ID: area.id})
    assert nothing.value.translation_key == "not_a_strip"
    assert nothing.value.translation_placeholders == {"target": area.id}
