"""The agent as a whole: real-hardware wiring on mock pins and a fake I2C bus, and clean exits."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
import subprocess
import sys

from gpiozero.pins.mock import MockFactory
import pytest

from pi_agent.api.views import outlet_view
from pi_agent.auth import Tokens
from pi_agent.config import load_config
from pi_agent.hardware.build import build_hardware
from pi_agent.hardware.i2c import I2CBusPool
from pi_agent.runtime import Agent, Identity
from pi_agent.simulation import SIM_STRIP
from tests.fakes import FakeSMBus
from tests.support.agent import REPO, build_agent, free_port, spawn_agent

EXAMPLE = REPO / "pi_agent" / "config.example.toml"


def example_agent(tmp_path: Path) -> tuple[Agent, FakeSMBus, MockFactory]:
    """The shipped 16-outlet configuration on mock GPIO and a fake bus of 15 INA219s."""
    config = load_config(EXAMPLE)
    bus, factory = FakeSMBus(), MockFactory()
    chips = {
        o.id: bus.add_ina219(o.meter.address, o.meter.shunt_ohms)
        for o in config.outlets
        if o.meter.type == "ina219"
    }
    for chip in chips.values():
        chip.bus_voltage_v = 20.0
    hardware = build_hardware(config, pin_factory=factory, bus_pool=I2CBusPool(lambda _n: bus))
    agent = Agent(
        config,
        hardware,
        identity=Identity(serial="test", name="t", simulated=False),
        tokens=Tokens(admin="a" * 32, reporter="r" * 32),
        data_dir=tmp_path,
    )
    return agent, bus, factory


async def test_real_hardware_path_reads_ina219s_and_drives_gpio(tmp_path: Path) -> None:
    agent, bus, factory = example_agent(tmp_path)
    for chip in bus.chips.values():
        chip.current_a = 2.5  # 50 W at 20 V on every USB-C port
    await agent.sample_once()
    lamp = agent.controller.outlet(16)
    assert lamp.relay_on  # exception outlet on at the first sample
    assert not factory.pin(26).state  # active-low: its pin is driven low
    view = outlet_view(agent.controller, agent.controller.outlet(1), agent.now())
    assert view["voltage_v"] == pytest.approx(20.0, abs=0.01)
    agent.shutdown_hardware()


async def test_a_missing_chip_is_a_meter_fault_not_a_crash(tmp_path: Path) -> None:
    agent, bus, _ = example_agent(tmp_path)
    del bus.chips[0x40]  # outlet 1's meter stops answering (loose wire)
    await agent.sample_once()
    assert agent.controller.outlet(1).meter_fault
    assert agent.controller.outlet(2).meter_fault is None
    agent.shutdown_hardware()


async def test_stop_switches_relays_to_the_safe_state_and_saves(
    tmp_path: Path, socket_enabled: None
) -> None:
    agent, world = build_agent(tmp_path / "a", strip=replace(SIM_STRIP, stagger_s=0))
    stop = asyncio.Event()
    task = asyncio.create_task(agent.run("127.0.0.1", 0, stop=stop))
    await asyncio.sleep(0.5)
    assert any(world.relay(i) for i in range(1, 16))
    stop.set()
    await task
    assert not any(world.relay(i) for i in range(1, 17))
    assert (tmp_path / "a" / "state.json").exists()


async def test_safe_state_may_keep_exception_outlets_on(
    tmp_path: Path, socket_enabled: None
) -> None:
    strip = replace(SIM_STRIP, stagger_s=0, safe_state="exceptions_on")
    agent, world = build_agent(tmp_path / "a", strip=strip)
    stop = asyncio.Event()
    task = asyncio.create_task(agent.run("127.0.0.1", 0, stop=stop))
    await asyncio.sleep(0.3)
    stop.set()
    await task
    assert [i for i in range(1, 17) if world.relay(i)] == [16]


def test_sigterm_exits_cleanly(tmp_path: Path, socket_enabled: None) -> None:
    agent = spawn_agent(tmp_path / "data", free_port())
    assert agent.terminate() == 0
    assert (tmp_path / "data" / "state.json").exists()


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("[strip]\nhard_limit_w = -1\n[[outlets]]\nmax_power_w = 10\n", "strip.hard_limit_w"),
        ("[[outlets]]\nmax_power_w = 10\n", "outlets[1].gpio: required to drive a relay"),
        ("[strip\n", "not valid TOML"),
    ],
)
def test_invalid_configuration_refuses_to_start_naming_the_field(
    tmp_path: Path, config: str, message: str
) -> None:
    path = tmp_path / "agent.toml"
    path.write_text(config)
    result = subprocess.run(
        [sys.executable, "-m", "pi_agent", "--config", str(path), "--data-dir", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_token_file_is_created_private(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pi_agent", "--print-token", "--data-dir", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    token = (tmp_path / "token").read_text().strip()
    assert result.stdout.strip() == token
    assert len(token) >= 32
    assert (tmp_path / "token").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "reporter_token").read_text().strip() != token
