"""Translations: English and French say everything strings.json says, with the same placeholders."""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

import pytest

from custom_components.smartmulti import select, sensor, switch

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
    descriptions = [
        *((f"sensor.{d.translation_key}", d) for d in sensor.STRIP_SENSORS + sensor.OUTLET_SENSORS),
        *((f"switch.{d.translation_key}", d) for d in switch.SWITCHES),
        (f"select.{select.CONTROL.translation_key}", select.CONTROL),
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
