"""Every service the integration registers is documented, and every documented one exists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.util.yaml import load_yaml_dict
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartmulti.const import DOMAIN

INTEGRATION = Path(__file__).resolve().parents[2] / "custom_components" / "smartmulti"


def documented() -> dict[str, Any]:
    """services.yaml: every service with its fields (a missing file fails, not passes)."""
    services = load_yaml_dict(str(INTEGRATION / "services.yaml"))
    assert services
    return services


def translated(language: str) -> dict[str, dict[str, object]]:
    source = "strings.json" if language == "strings" else f"translations/{language}.json"
    data = json.loads((INTEGRATION / source).read_text())
    services: dict[str, dict[str, object]] = data.get("services", {})
    return services


async def test_registered_services_are_exactly_the_documented_ones(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    registered = set(hass.services.async_services_for_domain(DOMAIN))
    assert registered == set(documented())


def test_every_documented_service_has_a_name_and_description_in_every_language() -> None:
    for language in ("strings", "en", "fr"):
        services = translated(language)
        assert set(services) == set(documented()), language
        for service, texts in services.items():
            assert texts.get("name"), (language, service)
            assert texts.get("description"), (language, service)


def test_every_service_field_is_translated() -> None:
    schema = documented()
    for language in ("strings", "en", "fr"):
        services = translated(language)
        for service, spec in schema.items():
            fields = set((spec or {}).get("fields", {}))
            named = set(services[service].get("fields", {}))  # type: ignore[arg-type]
            assert fields == named, (language, service)
