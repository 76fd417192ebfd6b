"""Starting the agent on a Pi: a configuration file saved in the wrong encoding, a relay wired to
the meters' I2C lines, a bus that is not enabled, a mistyped option. Each stops the agent with
one line naming the file and the field, exit status 2, and no relay left on."""

from __future__ import annotations

import errno
import os
from pathlib import Path
import subprocess
import sys

from gpiozero.pins.mock import MockFactory
import pytest

from pi_agent.cli import build_parser, main
from pi_agent.config import ConfigError, load_config, parse_config
from pi_agent.hardware.base import HardwareError
from pi_agent.hardware.build import build_hardware
from pi_agent.hardware.i2c import I2CBus, I2CBusPool
from tests.fakes import FakeSMBus
from tests.support.agent import REPO

METER = {"type": "ina219", "address": 0x40, "shunt_ohms": 0.1, "max_current_a": 3}
TOML = """\
[strip]
name = "Desk row"

[[outlets]]
name = "Desk 1"
gpio = 4
max_power_w = 100
meter = { type = "ina219", bus = BUS, address = 0x40, shunt_ohms = 0.1, max_current_a = 3 }

[[outlets]]
name = "Desk 2"
gpio = 5
max_power_w = 100
meter = { type = "ina219", bus = BUS, address = 0x41, shunt_ohms = 0.1, max_current_a = 3 }
"""


def agent_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pi_agent", "--data-dir", str(tmp_path / "data"), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "GPIOZERO_PIN_FACTORY": "mock"},
    )


def assert_one_line_refusal(result: subprocess.CompletedProcess[str], *parts: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    # Besides the log (the tokens it created), one line says why it stopped.
    lines = [line for line in result.stderr.splitlines() if line.startswith("smartmulti-agent:")]
    assert len(lines) == 1, result.stderr
    for part in parts:
        assert part in lines[0]


# ---------------------------------------------------------------------- the file's encoding


def test_a_configuration_file_that_is_not_utf8_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_bytes(b'[strip]\nname = "Caf\xe9"\n')
    result = agent_cli(tmp_path, "--config", str(path))
    assert_one_line_refusal(result, str(path), "not UTF-8", "line 2")


def test_a_utf16_configuration_file_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_bytes(b"\xff\xfe[strip]\n")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: ")
    assert "UTF-16" in message
    assert "save it as UTF-8" in message
    result = agent_cli(tmp_path, "--config", str(path))
    assert_one_line_refusal(result, str(path), "UTF-16")


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "agent.toml"
    path.write_bytes(b"\xef\xbb\xbf" + TOML.replace("BUS", "1").encode())
    config = load_config(path)
    assert config.strip.name == "Desk row"
    assert [o.name for o in config.outlets] == ["Desk 1", "Desk 2"]


def test_an_integer_too_long_to_read_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "agent.toml"
    path.write_text("[strip]\nhard_limit_w = " + "9" * 5000 + "\n")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: line 2: ")
    assert "digits" in message
    assert "sys.set_int_max_str_digits" not in message


# ---------------------------------------------------------------------- the command line


@pytest.mark.parametrize("level", ["bogus", "verbose", ""])
def test_an_unknown_log_level_is_a_usage_error(
    level: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["--log-level", level, "--print-token"])
    assert raised.value.code == 2
    err = capsys.readouterr().err
    assert "--log-level" in err
    assert "DEBUG" in err


@pytest.mark.parametrize("level", ["debug", "Info", "WARNING", "error"])
def test_log_levels_are_accepted_in_any_case(level: str) -> None:
    assert build_parser().parse_args(["--log-level", level]).log_level == level.upper()


def test_an_unknown_log_level_prints_no_traceback(tmp_path: Path) -> None:
    result = agent_cli(tmp_path, "--log-level", "bogus", "--print-token")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "invalid choice" in result.stderr


# ---------------------------------------------------------------------- relays on the I2C lines


@pytest.mark.parametrize(("pin", "line"), [(2, "SDA"), (3, "SCL")])
def test_a_relay_on_the_meters_i2c_line_is_refused(pin: int, line: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(
            {
                "outlets": [
                    {"max_power_w": 100, "gpio": 4, "meter": METER},
                    {"max_power_w": 100, "gpio": pin},
                ]
            }
        )
    message = str(raised.value)
    assert message.startswith(f"outlets[2].gpio: pin {pin} is I2C bus 1's {line} line")
    assert "outlets[1]" in message


def test_the_i2c_lines_are_refused_whichever_outlet_comes_first() -> None:
    meter = {**METER, "address": 0x41}
    with pytest.raises(ConfigError, match=r"^outlets\[1\]\.gpio: pin 3 .* outlets\[2\]"):
        parse_config(
            {
                "outlets": [
                    {"max_power_w": 100, "gpio": 3},
                    {"max_power_w": 100, "gpio": 4, "meter": meter},
                ]
            }
        )


def test_pins_2_and_3_drive_relays_when_no_meter_uses_i2c_bus_1() -> None:
    config = parse_config(
        {
            "outlets": [
                {"max_power_w": 100, "gpio": 2},
                {"max_power_w": 100, "gpio": 3, "meter": {**METER, "bus": 3}},
            ]
        }
    )
    assert [o.gpio for o in config.outlets] == [2, 3]


def test_the_i2c_bus_0_lines_are_refused_when_a_meter_uses_bus_0() -> None:
    with pytest.raises(ConfigError, match=r"^outlets\[1\]\.gpio: pin 0 is I2C bus 0's SDA line"):
        parse_config({"outlets": [{"max_power_w": 100, "gpio": 0, "meter": {**METER, "bus": 0}}]})


# ---------------------------------------------------------------------- an I2C bus that is missing


def missing_bus(number: int) -> I2CBus:
    raise FileNotFoundError(errno.ENOENT, "No such file or directory", f"/dev/i2c-{number}")


def test_a_missing_i2c_bus_names_the_meter_and_how_to_enable_i2c(tmp_path: Path) -> None:
    path = tmp_path / "agent.toml"
    path.write_text(TOML.replace("BUS", "1"))
    factory = MockFactory()
    with pytest.raises(HardwareError) as raised:
        build_hardware(load_config(path), pin_factory=factory, bus_pool=I2CBusPool(missing_bus))
    message = str(raised.value)
    assert message.startswith("outlets[1].meter.bus: cannot open I2C bus 1 (/dev/i2c-1)")
    assert "raspi-config nonint do_i2c 0" in message
    assert "dtparam=i2c_arm=on" in message
    # The relays were driven off (active low: high) and released, so a fixed start reopens them.
    for pin in (4, 5):
        assert factory.pin(pin).state
        assert factory.pin(pin).function == "input"
    bus = FakeSMBus()
    bus.add_ina219(0x40)
    bus.add_ina219(0x41)
    hardware = build_hardware(
        load_config(path), pin_factory=factory, bus_pool=I2CBusPool(lambda _n: bus)
    )
    assert sorted(hardware.meters) == [1, 2]
    hardware.close()


def test_a_bus_without_permission_says_which_group_to_join() -> None:
    def forbidden(number: int) -> I2CBus:
        raise PermissionError(errno.EACCES, "Permission denied", f"/dev/i2c-{number}")

    config = parse_config(
        {"outlets": [{"max_power_w": 100, "gpio": 4, "meter": {**METER, "bus": 1}}]}
    )
    with pytest.raises(HardwareError) as raised:
        build_hardware(config, pin_factory=MockFactory(), bus_pool=I2CBusPool(forbidden))
    message = str(raised.value)
    assert message.startswith("outlets[1].meter.bus: cannot open I2C bus 1 (/dev/i2c-1)")
    assert "i2c group" in message


def test_meters_already_opened_are_closed_when_a_later_one_fails() -> None:
    opened: list[FakeSMBus] = []

    def opener(number: int) -> I2CBus:
        if number == 3:
            return missing_bus(number)
        bus = FakeSMBus()
        bus.add_ina219(0x40)
        opened.append(bus)
        return bus

    config = parse_config(
        {
            "outlets": [
                {"max_power_w": 100, "gpio": 4, "meter": METER},
                {"max_power_w": 100, "gpio": 5, "meter": {**METER, "bus": 3}},
            ]
        }
    )
    with pytest.raises(HardwareError, match=r"^outlets\[2\]\.meter\.bus: cannot open I2C bus 3"):
        build_hardware(config, pin_factory=MockFactory(), bus_pool=I2CBusPool(opener))
    assert [bus.closed for bus in opened] == [True]


def test_the_agent_without_i2c_stops_with_one_line_and_status_2(tmp_path: Path) -> None:
    """Bus 31 exists on no Pi (nor on the machine running the tests)."""
    assert not Path("/dev/i2c-31").exists()
    path = tmp_path / "agent.toml"
    path.write_text(TOML.replace("BUS", "31"))
    result = agent_cli(tmp_path, "--config", str(path))
    assert_one_line_refusal(
        result, str(path), "outlets[1].meter.bus", "cannot open I2C bus 31", "/dev/i2c-31"
    )


def test_a_relay_without_a_pin_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "agent.toml"
    path.write_text("[[outlets]]\nmax_power_w = 10\n")
    result = agent_cli(tmp_path, "--config", str(path))
    assert_one_line_refusal(
        result, f"{path}: outlets[1].gpio: required to drive a relay on real hardware"
    )
