"""Translations: English and French say everything strings.json says, with the same placeholders."""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

import pytest

from custom_components.smartmulti import (
    battery,
    binary_sensor,
    button,
    metering,
    number,
    pairing,
    select,
    sensor,
    switch,
)
from custom_components.smartmulti.billing import entities as user_entities
from custom_components.smartmulti.const import NO_CIRCUIT

PACKAGE = Path(sensor.__file__).parent
PLACEHOLDER = re.compile(r"{(\w+)}")


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            flat |= _flatten(value, path)
        else:
            flat[path] = value
    return flat


def _load(name: str) -> dict[str, str]:
    return _flatten(json.loads((PACKAGE / name).read_text(encoding="utf-8")))


STRINGS = _load("strings.json")


@pytest.mark.parametrize("language", ["en", "fr"])
def test_translation_has_exactly_the_keys_of_strings_json(language: str) -> None:
    translation = _load(f"translations/{language}.json")

    assert sorted(translation) == sorted(STRINGS)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_translation_keeps_every_placeholder(language: str) -> None:
    translation = _load(f"translations/{language}.json")

    for key, text in STRINGS.items():
        assert set(PLACEHOLDER.findall(translation[key])) == set(PLACEHOLDER.findall(text)), key


def test_english_translation_is_strings_json() -> None:
    assert _load("translations/en.json") == STRINGS


def test_every_entity_translation_key_has_a_name() -> None:
    sensors = (
        *sensor.STRIP_SENSORS,
        *sensor.OUTLET_SENSORS,
        *sensor.BALANCING_SENSORS,
        *sensor.OUTLET_BALANCING_SENSORS,
        *sensor.CIRCUIT_SENSORS,
        battery.BATTERY_SENSOR,
        pairing.PAIRED_USER_SENSOR,
        pairing.LAST_PAIRING_SENSOR,
        metering.STRIP_ENERGY,
        *user_entities.USER_SENSORS,
        user_entities.UNASSIGNED,
    )
    descriptions = [
        *((f"sensor.{d.translation_key}", d) for d in sensors),
        *((f"switch.{d.translation_key}", d) for d in (*switch.SWITCHES, switch.BALANCING)),
        *(
            (f"select.{d.translation_key}", d)
            for d in (select.CONTROL, select.STRATEGY, user_entities.OUTLET_USER)
        ),
        *(
            (f"number.{d.translation_key}", d)
            for d in (*number.STRIP_NUMBERS, number.CIRCUIT_BUDGET, user_entities.LIMIT)
        ),
        *((f"button.{d.translation_key}", d) for d in button.BUTTONS),
        (f"binary_sensor.{binary_sensor.CLOSED.translation_key}", binary_sensor.CLOSED),
    ]

    for key, description in descriptions:
        if description.translation_key is not None:
            assert f"entity.{key}.name" in STRINGS, key
        for option in getattr(description, "options", None) or ():
            assert f"entity.{key}.state.{option}" in STRINGS, f"{key}: {option}"


def test_every_error_raised_by_the_coordinator_is_translated() -> None:
    source = (PACKAGE / "coordinator.py").read_text(encoding="utf-8")
    keys = set(re.findall(r'translation_key="(\w+)"', source))

    assert keys
    assert {key for key in keys if f"exceptions.{key}.message" not in STRINGS} == set()


def _raised_keys(module: str) -> set[str]:
    """Translation keys a module raises: directly, through targets.py, or as a target rule."""
    source = (PACKAGE / module).read_text(encoding="utf-8")
    keys = set(re.findall(r'translation_domain=DOMAIN,\s+translation_key="(\w+)"', source))
    keys |= set(re.findall(r'_error\(\s*"(\w+)"', source))
    keys |= set(re.findall(r'(?:refused|unknown)_key="(\w+)"', source))
    return keys


def test_every_error_raised_by_the_pairing_actions_is_translated() -> None:
    keys = _raised_keys("pairing.py")

    assert keys == {"strip_not_loaded", "unknown_target"}
    assert {key for key in keys if f"exceptions.{key}.message" not in STRINGS} == set()


def test_every_service_action_is_described() -> None:
    actions = set(re.findall(r"^(\w+):$", (PACKAGE / "services.yaml").read_text(), re.MULTILINE))

    assert actions
    assert {a for a in actions if f"services.{a}.name" not in STRINGS} == set()
    assert {a for a in actions if f"services.{a}.description" not in STRINGS} == set()


def test_the_no_circuit_choice_is_translated() -> None:
    assert f"selector.circuit.options.{NO_CIRCUIT}" in STRINGS


def test_every_icon_belongs_to_a_translated_entity_and_state() -> None:
    icons = json.loads((PACKAGE / "icons.json").read_text(encoding="utf-8"))["entity"]

    for platform, keys in icons.items():
        for key, icon in keys.items():
            assert f"entity.{platform}.{key}.name" in STRINGS, f"{platform}.{key}"
            if platform == "switch":
                continue  # a switch's states are on and off, translated by Home Assistant
            for state in icon.get("state", {}):
                assert f"entity.{platform}.{key}.state.{state}" in STRINGS, f"{key}: {state}"


def test_every_error_raised_by_the_target_resolver_is_translated() -> None:
    keys = _raised_keys("targets.py") | {"unknown_device"}  # its default for unknown targets

    assert {key for key in keys if f"exceptions.{key}.message" not in STRINGS} == set()


def test_every_error_raised_by_the_orchestration_actions_is_translated() -> None:
    source = (PACKAGE / "orchestration.py").read_text(encoding="utf-8")
    keys = _raised_keys("orchestration.py") | set(re.findall(r'translation_key="(\w+)"', source))
    keys |= set(re.findall(r'"(\w+_not_loaded)"', source))

    assert {"not_a_strip", "budget_too_high", "shutdown_pending", "circuit_not_loaded"} <= keys
    assert {key for key in keys if f"exceptions.{key}.message" not in STRINGS} == set()
