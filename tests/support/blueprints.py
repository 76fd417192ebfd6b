"""The repository's blueprints, installed in a test's Home Assistant as an import would."""

from __future__ import annotations

from pathlib import Path
import shutil

from homeassistant.core import HomeAssistant

REPO = Path(__file__).resolve().parents[2]
BLUEPRINTS = REPO / "blueprints" / "automation" / "smartmulti"
SOURCE_URL = "https://github.com/smartmulti/smartmulti/blob/main/blueprints/automation/smartmulti/"


def install_blueprints(hass: HomeAssistant, config_dir: Path) -> None:
    """Copy the blueprints where Home Assistant looks for them, in a config dir of the test's.

    The test harness's own config dir is inside the installed package: never written to.
    """
    hass.config.config_dir = str(config_dir)
    (config_dir / ".storage").mkdir(parents=True, exist_ok=True)  # where Local Calendar writes
    target = Path(hass.config.path("blueprints/automation/smartmulti"))
    target.mkdir(parents=True, exist_ok=True)
    for path in BLUEPRINTS.glob("*.yaml"):
        shutil.copy(path, target / path.name)
