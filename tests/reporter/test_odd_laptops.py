"""A laptop in an odd state, or a person typing an odd option: a clear message, nothing lost.

The battery is the one piece of hardware replaced; the agent is a real one on loopback. A
reading no battery can give (no level, over 100 %, NaN, a plugged flag that is not one) is
said and never posted; a battery that fails to read leaves the reporter running. Options and
files that cannot work stop it with a usage message, never a traceback, and never print a
secret.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
import logging
from pathlib import Path
from typing import Any

import pytest

from pi_agent.api.views import outlet_view
from smartmulti_reporter.battery import Battery
from smartmulti_reporter.cli import main
from tests.support.agent import RunningAgent, start_agent

from .reporter_support import FakeBattery, reporter_for, running, until


@pytest.fixture
async def agent(tmp_path: Path, socket_enabled: None) -> AsyncIterator[RunningAgent]:
    running = await start_agent(tmp_path / "agent")
    yield running
    await running.stop()


def battery_of(agent: RunningAgent, outlet_id: int) -> Any:
    controller = agent.agent.controller
    return outlet_view(controller, controller.outlet(outlet_id), agent.agent.now())["battery"]


@dataclass
class OddReading:
    percent: Any
    plugged: Any


@pytest.mark.parametrize(
    ("percent", "plugged"),
    [
        (None, True),
        (float("nan"), True),
        (float("inf"), False),
        (150.0, True),
        (-5.0, False),
        ("55", True),
        (True, True),
        (55.0, None),
        (55.0, "yes"),
    ],
)
async def test_an_impossible_reading_is_said_and_never_posted(
    agent: RunningAgent, caplog: pytest.LogCaptureFixture, percent: Any, plugged: Any
) -> None:
    credential = agent.agent.controller.pairing.issue_credential(3, "Amina", agent.agent.now())
    reporter = reporter_for(agent.url, credential, lambda: OddReading(percent, plugged), outlet=3)
    with caplog.at_level(logging.WARNING, logger="smartmulti_reporter"), running(reporter):
        await until(lambda: "not a battery reading" in caplog.text)
    assert reporter.posts == 0
    assert battery_of(agent, 3) is None
    assert "refused" not in caplog.text  # nothing bogus reached the agent to be refused


async def test_a_battery_that_fails_to_read_leaves_the_reporter_running(
    agent: RunningAgent, caplog: pytest.LogCaptureFixture
) -> None:
    battery = FakeBattery(61.0)
    failing = True

    def read() -> Battery:
        if failing:
            raise OSError(5, "Input/output error")
        return battery()

    credential = agent.agent.controller.pairing.issue_credential(3, "Amina", agent.agent.now())
    reporter = reporter_for(agent.url, credential, read, outlet=3, interval_s=5.0)
    reporter._settings = reporter._settings.__class__(  # read again soon after a failure
        user="Amina", outlet=3, interval_s=5.0, poll_s=0.05
    )
    with caplog.at_level(logging.WARNING, logger="smartmulti_reporter"), running(reporter):
        await until(lambda: "cannot be read" in caplog.text)
        failing = False
        await until(lambda: battery_of(agent, 3) is not None)
    assert "Input/output error" in caplog.text


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as stopped:
        main(argv, source=FakeBattery())
    return int(stopped.value.code or 0), capsys.readouterr().err


AGENT = ["--agent", "http://127.0.0.1:9"]


@pytest.mark.parametrize(
    ("agent", "said"),
    [
        ("http://127.0.0.1:99999", "port"),
        ("127.0.0.1:http", "port"),
        ("http://me:hunter2-secret@127.0.0.1:8450", "user name or password"),
    ],
)
def test_an_agent_address_that_cannot_work_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], agent: str, said: str
) -> None:
    code, err = _run(["--agent", agent, "--token", "t"], capsys)
    assert code == 2
    assert said in err
    assert "hunter2" not in err


@pytest.mark.parametrize(
    "token", ["line\nbreak-secret", "naïve-é-secret", "tab\there-secret", "  "]
)
def test_a_token_no_http_header_can_carry_is_a_usage_error_that_does_not_print_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], token: str
) -> None:
    path = tmp_path / "token"
    path.write_text(token)
    code, err = _run([*AGENT, "--token-file", str(path)], capsys)
    assert code == 2
    assert "token" in err
    assert "secret" not in err
    assert "Traceback" not in err


def test_a_token_file_that_is_not_text_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "token"
    path.write_bytes(b"\xff\xfe\x00binary")
    code, err = _run([*AGENT, "--token-file", str(path)], capsys)
    assert code == 2
    assert "not text" in err


def test_a_log_file_that_cannot_be_opened_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "no-such-dir" / "reporter.log"
    code, err = _run([*AGENT, "--token", "t", "--log-file", str(log)], capsys)
    assert code == 2
    assert "--log-file" in err


async def test_a_battery_that_fails_at_start_is_said_not_a_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def broken() -> Battery:
        raise OSError(5, "Input/output error")

    code = main([*AGENT, "--token", "t"], source=broken)
    assert code == 3
    assert "Input/output error" in capsys.readouterr().err


async def test_a_battery_unreadable_during_pairing_cancels_it_and_the_reporter_goes_on(
    agent: RunningAgent, caplog: pytest.LogCaptureFixture
) -> None:
    controller = agent.agent.controller
    await until(lambda: any(o.relay_on for o in controller.outlets if not o.exception))
    outlet = min(o.id for o in controller.outlets if o.relay_on and not o.exception)
    reads = 0

    def laptop() -> Any:
        nonlocal reads
        reads += 1
        # The loop's read, the pairing's start, then the first answer finds no battery.
        return None if reads == 3 else agent.world.battery(outlet)

    reporter = reporter_for(agent.url, agent.reporter_token, laptop)
    with caplog.at_level(logging.WARNING, logger="smartmulti_reporter"), running(reporter):
        await until(lambda: "during pairing" in caplog.text)
        await until(lambda: reads >= 6)  # still reading: not stopped
    latest = controller.pairing.latest()
    assert latest is not None
    assert latest.status == "cancelled"
    assert reporter.outlet is None
