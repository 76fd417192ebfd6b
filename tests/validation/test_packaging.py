"""What Home Assistant, HACS and the Python packaging rules require of the repository."""

from __future__ import annotations

import json
from pathlib import Path
import re
import tomllib

from awesomeversion import AwesomeVersion
from homeassistant import const as ha_const
import pytest

REPO = Path(__file__).resolve().parents[2]
INTEGRATION = REPO / "custom_components" / "smartmulti"
MANIFEST = json.loads((INTEGRATION / "manifest.json").read_text())
HACS = json.loads((REPO / "hacs.json").read_text())

# Home Assistant's manifest rules for a custom integration (developers.home-assistant.io,
# "Integration manifest"): these keys, domain and name first, the rest in alphabetical order.
REQUIRED_MANIFEST_KEYS = {
    "domain", "name", "codeowners", "config_flow", "documentation", "integration_type",
    "iot_class", "issue_tracker", "requirements", "version",
}  # fmt: skip
IOT_CLASSES = {
    "assumed_state", "cloud_polling", "cloud_push", "local_polling", "local_push", "calculated",
}  # fmt: skip
INTEGRATION_TYPES = {
    "device",
    "entity",
    "hardware",
    "helper",
    "hub",
    "service",
    "system",
    "virtual",
}
# HACS's documented hacs.json keys (hacs.xyz, "Publish: start").
HACS_KEYS = {
    "name", "content_in_root", "zip_release", "filename", "hide_default_branch", "country",
    "homeassistant", "persistent_directory", "render_readme", "hacs",
}  # fmt: skip


def test_manifest_has_every_required_key() -> None:
    assert MANIFEST.keys() >= REQUIRED_MANIFEST_KEYS


def test_manifest_keys_are_domain_name_then_alphabetical() -> None:
    keys = list(MANIFEST)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])


def test_manifest_domain_matches_its_directory() -> None:
    assert MANIFEST["domain"] == INTEGRATION.name


def test_manifest_version_is_a_valid_version() -> None:
    version = AwesomeVersion(MANIFEST["version"])
    assert version.valid
    assert re.fullmatch(r"\d+\.\d+\.\d+", MANIFEST["version"])


def test_manifest_declares_a_local_push_device() -> None:
    assert MANIFEST["iot_class"] in IOT_CLASSES
    assert MANIFEST["iot_class"] == "local_push"
    assert MANIFEST["integration_type"] in INTEGRATION_TYPES
    assert MANIFEST["config_flow"] is True


def test_manifest_links_and_owners_are_well_formed() -> None:
    assert MANIFEST["documentation"].startswith("https://")
    assert MANIFEST["issue_tracker"].startswith("https://")
    assert MANIFEST["codeowners"]
    assert all(re.fullmatch(r"@[\w-]+(/[\w-]+)?", owner) for owner in MANIFEST["codeowners"])


def test_manifest_requirements_are_pinned() -> None:
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[\w.]+", r) for r in MANIFEST["requirements"])


def test_manifest_zeroconf_matches_the_agent_advertisement() -> None:
    from pi_agent.discovery import SERVICE_TYPE

    assert MANIFEST["zeroconf"] == [SERVICE_TYPE]


def test_hacs_json_uses_only_documented_keys() -> None:
    assert HACS.keys() <= HACS_KEYS
    assert HACS["name"]


def test_hacs_minimum_home_assistant_is_the_tested_one_or_older() -> None:
    minimum = AwesomeVersion(HACS["homeassistant"])
    assert minimum.valid
    assert minimum <= AwesomeVersion(ha_const.__version__)


def test_hacs_renders_a_readme_that_exists() -> None:
    assert HACS.get("render_readme") is True
    assert (REPO / "README.md").read_text().strip()


def test_hacs_finds_one_integration_with_a_brand_icon() -> None:
    assert [
        p.name
        for p in (REPO / "custom_components").iterdir()
        if p.is_dir() and not p.name.startswith("_")
    ] == ["smartmulti"]
    icon = INTEGRATION / "brand" / "icon.png"
    assert icon.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("project", ["pyproject.toml", "reporter/pyproject.toml"])
def test_python_projects_declare_their_console_scripts(project: str) -> None:
    data = tomllib.loads((REPO / project).read_text())
    scripts = data["project"]["scripts"]
    assert scripts
    for target in scripts.values():
        module, _, function = target.partition(":")
        assert (REPO / Path(project).parent / (module.replace(".", "/") + ".py")).exists(), target
        assert function
