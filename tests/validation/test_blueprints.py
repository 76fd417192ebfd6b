"""Every blueprint loads through Home Assistant's blueprint machinery, and uses all its inputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from homeassistant.components.automation.config import async_validate_config_item
from homeassistant.components.automation.helpers import async_get_blueprints
from homeassistant.core import HomeAssistant
from homeassistant.util import yaml as yaml_util
import pytest

from tests.support.blueprints import BLUEPRINTS, SOURCE_URL, install_blueprints

NAMES = sorted(path.name for path in BLUEPRINTS.glob("*.yaml"))

# Inputs an automation made from each blueprint is given (the rest keep their defaults).
EXAMPLE_INPUTS: dict[str, dict[str, Any]] = {
    "closing_hours.yaml": {"calendar": "calendar.opening_hours"},
    "offpeak_budget.yaml": {"targets": ["0123456789abcdef"]},
    "limit_notifications.yaml": {},
}


def test_the_three_blueprints_of_the_issue_exist() -> None:
    assert NAMES == ["closing_hours.yaml", "limit_notifications.yaml", "offpeak_budget.yaml"]


@pytest.mark.parametrize("name", NAMES)
async def test_blueprint_loads_with_a_valid_schema_and_uses_every_input(
    hass: HomeAssistant, tmp_path: Path, name: str
) -> None:
    install_blueprints(hass, tmp_path)

    blueprint = await async_get_blueprints(hass).async_get_blueprint(f"smartmulti/{name}")

    assert blueprint.domain == "automation"
    assert blueprint.validate() is None  # this Home Assistant is recent enough
    assert blueprint.metadata["source_url"] == SOURCE_URL + name
    assert blueprint.metadata["description"]
    assert yaml_util.extract_inputs(blueprint.data) == set(blueprint.inputs)
    for input_name, spec in blueprint.inputs.items():
        assert set(spec) >= {"name", "description", "selector"}, input_name


@pytest.mark.parametrize("name", NAMES)
async def test_an_automation_from_the_blueprint_is_valid(
    hass: HomeAssistant, tmp_path: Path, name: str
) -> None:
    install_blueprints(hass, tmp_path)
    config = {
        "id": name,
        "alias": name,
        "use_blueprint": {"path": f"smartmulti/{name}", "input": EXAMPLE_INPUTS[name]},
    }

    validated = await async_validate_config_item(hass, "automation", config)

    assert validated is not None
    assert validated.validation_status == "ok", validated.validation_error
