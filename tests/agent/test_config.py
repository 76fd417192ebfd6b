"""A wrong configuration stops the agent with a message naming the field."""

from __future__ import annotations

from pathlib import Path
import tomllib

import pytest

from pi_agent.config import ConfigError, load_config, parse_config

EXAMPLE = Path(__file__).resolve().parents[2] / "pi_agent" / "config.example.toml"


def outlets(*extra: dict[str, object]) -> list[dict[str, object]]:
    return [{"max_power_w": 100, **e} for e in extra]


def test_example_configuration_is_valid() -> None:
    config = load_config(EXAMPLE)
    assert len(config.outlets) == 16
    assert sum(o.exception for o in config.outlets) >= 1
    assert len({o.gpio for o in config.outlets}) == 16


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"strip": {"hard_limit_w": 0}, "outlets": outlets({})},
            "strip.hard_limit_w: must be more than 0",
        ),
        (
            {"strip": {"hard_limit_w": 1e9}, "outlets": outlets({})},
            "strip.hard_limit_w: must be more than 0 and at most 7400",
        ),
        (
            {"strip": {"hard_limit_w": "2300"}, "outlets": outlets({})},
            "strip.hard_limit_w: expected a number",
        ),
        (
            {"strip": {"min_on_s": True}, "outlets": outlets({})},
            "strip.min_on_s: expected a number",
        ),
        ({"strip": {"colour": "red"}, "outlets": outlets({})}, "strip.colour: unknown key"),
        (
            {"outlets": outlets({"gpio": 5}, {"gpio": 5})},
            "outlets[2].gpio: pin 5 is already used by outlets[1]",
        ),
        ({"outlets": outlets({"gpio": 40})}, "outlets[1].gpio: must be between 0 and 27"),
        (
            {
                "outlets": outlets(
                    {
                        "meter": {
                            "type": "ina219",
                            "address": 0x60,
                            "shunt_ohms": 0.1,
                            "max_current_a": 3,
                        }
                    }
                )
            },
            "outlets[1].meter.address",
        ),
        (
            {"outlets": outlets({"meter": {"type": "ina219", "address": 0x41, "shunt_ohms": 0.1}})},
            "outlets[1].meter.max_current_a: required",
        ),
        (
            {"outlets": outlets({"meter": {"type": "hall"}})},
            "outlets[1].meter.type: expected one of",
        ),
        (
            {
                "outlets": [
                    {
                        "max_power_w": 100,
                        "meter": {
                            "type": "ina219",
                            "address": 0x41,
                            "shunt_ohms": 0.1,
                            "max_current_a": 3,
                        },
                    }
                ]
                * 2
            },
            "outlets[2].meter.address: 0x41 on bus 1 is already used by outlets[1]",
        ),
        (
            {"outlets": outlets({"max_power_w": 5000})},
            "outlets[1].max_power_w: 5000 W exceeds the strip's hard_limit_w",
        ),
        ({"outlets": outlets({"name": ""})}, "outlets[1].name: expected a non-empty string"),
        ({"outlets": outlets(*[{}] * 17)}, "outlets: expected 1 to 16 outlets"),
        (
            {"strip": {"failsafe_budget_w": 3000, "hard_limit_w": 2000}, "outlets": outlets({})},
            "strip.failsafe_budget_w: must not exceed",
        ),
        ({"strip": {}}, "outlets: at least one"),
    ],
)
def test_invalid_configuration_names_the_field(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(data)
    assert message in str(err.value)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml")


def test_broken_toml_is_a_config_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "agent.toml"
    path.write_text("[strip\nhard_limit_w = 2300\n")
    with pytest.raises(ConfigError, match=r"agent\.toml: not valid TOML"):
        load_config(path)


def test_defaults_fill_what_the_file_leaves_out() -> None:
    config = parse_config({"outlets": outlets({"name": "Lamp", "exception": True})})
    assert config.strip.min_on_s == 60
    assert config.strip.min_off_s == 30
    assert config.strip.stagger_s == 0.5
    assert config.strip.sample_hz == 5
    assert config.outlets[0].exception


def test_example_parses_as_plain_toml() -> None:
    with EXAMPLE.open("rb") as file:
        assert "outlets" in tomllib.load(file)
