"""The laptop reporter against a real agent on loopback; only the battery itself is simulated.

The reporter is synchronous (it runs on laptops with nothing but the standard library and
psutil), so it runs in a thread while the agent serves from the test's event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import hashlib
from pathlib import Path
import random
import threading
from typing import Any

import pytest

from custom_components.smartmulti.coworker.links import reporter_proof
from pi_agent.api.views import outlet_view, strip_view
from pi_agent.storage import StateStore
from smartmulti_reporter.backoff import Backoff
from smartmulti_reporter.battery import BatteryReading
from smartmulti_reporter.cli import (
    EXIT_NO_BATTERY,
    EXIT_REFUSED,
    _settings as cli_settings,
    build_parser,
    main,
)
from smartmulti_reporter.client import AgentClient, AgentRefused, link_secret, user_proof
from smartmulti_reporter.pairing import pair
from tests.support.agent import RunningAgent, free_port, start_agent

from .reporter_support import FakeBattery, reporter_for, running, until


@pytest.fixture
async def agent(tmp_path: Path, socket_enabled: None) -> AsyncIterator[RunningAgent]:
    running = await start_agent(tmp_path / "agent")
    yield running
    await running.stop()


def credential_for(agent: RunningAgent, outlet_id: int, user: str = "Amina") -> str:
    """What a manager gives a laptop whose outlet is known: that outlet's credential."""
    return agent.agent.controller.pairing.issue_credential(outlet_id, user, agent.agent.now())


def outlet_state(agent: RunningAgent, outlet_id: int) -> dict[str, Any]:
    controller = agent.agent.controller
    return outlet_view(controller, controller.outlet(outlet_id), agent.agent.now())


def battery_of(agent: RunningAgent, outlet_id: int) -> dict[str, Any] | None:
    battery: dict[str, Any] | None = outlet_state(agent, outlet_id)["battery"]
    return battery


async def test_battery_is_posted_and_visible_in_the_agent_state(agent: RunningAgent) -> None:
    reporter = reporter_for(agent.url, credential_for(agent, 3), FakeBattery(42.0), outlet=3)
    with running(reporter):
        await until(lambda: battery_of(agent, 3) is not None)
    battery = battery_of(agent, 3)
    assert battery is not None
    assert (battery["percent"], battery["plugged"]) == (42.0, False)
    assert outlet_state(agent, 3)["paired"]["user"] == "Amina"


async def test_reporter_token_cannot_switch_a_relay_or_read_the_state(
    agent: RunningAgent,
) -> None:
    client = AgentClient(agent.url, agent.reporter_token)
    calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("POST", "/api/v1/outlets/1/relay", {"on": True}),
        ("GET", "/api/v1/state", None),
        ("GET", "/api/v1/outlets/1", None),
    ]
    for method, path, body in calls:
        with pytest.raises(AgentRefused) as refused:
            await asyncio.to_thread(client.request, method, path, body)
        assert (refused.value.status, refused.value.code) == (403, "forbidden")
    assert outlet_state(agent, 1)["override"] is None


async def test_plugged_change_is_posted_at_once(agent: RunningAgent) -> None:
    battery = FakeBattery(70.0, plugged=False)
    # An interval far longer than the test: only the change itself can trigger the post.
    reporter = reporter_for(agent.url, credential_for(agent, 5), battery, outlet=5, interval_s=60)
    with running(reporter):
        await until(lambda: battery_of(agent, 5) is not None)
        battery.plugged = True
        await until(lambda: (battery_of(agent, 5) or {}).get("plugged") is True)
    assert reporter.posts == 2


async def test_reporter_keeps_retrying_while_the_agent_is_down_and_posts_once_it_is_back(
    tmp_path: Path, socket_enabled: None
) -> None:
    port = free_port()
    # The laptop's credential for outlet 2, issued before the agent went down (kept in its
    # state file as a digest only).
    token = "laptop-credential-known-in-advance"
    (tmp_path / "agent").mkdir()
    paired = {"2": {"user": "Amina", "method": "report", "since": 0.0, "confidence": None}}
    credentials = {"active": {"2": hashlib.sha256(token.encode()).hexdigest()}, "revoked": {}}
    StateStore(tmp_path / "agent" / "state.json").save(
        {"epoch": "e", "outlets": {}, "pairing": {"paired": paired, "credentials": credentials}}
    )
    reporter = reporter_for(f"http://127.0.0.1:{port}", token, FakeBattery(33.0), outlet=2)
    with running(reporter):
        await until(lambda: reporter.failures >= 3)
        assert reporter.posts == 0
        back = await start_agent(tmp_path / "agent", port=port)
        try:
            await until(lambda: battery_of(back, 2) is not None)
        finally:
            await back.stop()
    assert reporter.posts >= 1


def test_backoff_grows_to_its_cap_with_jitter_and_never_spins() -> None:
    backoff = Backoff(base_s=1.0, cap_s=60.0, rng=random.Random(7))
    delays = [backoff.next_delay() for _ in range(12)]
    steps = [min(60.0, 2.0**n) for n in range(12)]
    assert all(step / 2 <= delay <= step for delay, step in zip(delays, steps, strict=True))
    assert len({round(d, 6) for d in delays[7:]}) > 1  # capped, yet jittered
    backoff.reset()
    assert backoff.next_delay() <= 1.0


#: A personal link's secret, as ``CoworkerLinks`` draws them (``secrets.token_urlsafe(32)``).
SECRET = "q3Jx9V0bT1n_Ew-Hd8sKpL2mZr4YuFcA6gNiO5hWjQe"


@pytest.mark.parametrize(
    "link",
    [
        f"https://ha.example.org/api/smartmulti/coworker?key={SECRET}",
        f"http://192.168.1.10:8123/api/smartmulti/coworker?key={SECRET}&lang=fr",
        f"  {SECRET}\n",
    ],
)
def test_a_personal_link_gives_the_proof_home_assistant_checks(link: str) -> None:
    assert link_secret(link) == SECRET
    challenge = "0123456789abcdef" * 2
    assert user_proof(link_secret(link), challenge) == reporter_proof(SECRET, challenge)


@pytest.mark.parametrize(
    "link",
    ["https://ha.example.org/api/smartmulti/coworker", "short", "not a/secret", "é" * 40],
)
def test_a_link_that_is_not_a_personal_link_stops_the_reporter_with_a_message(
    link: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--agent", "http://127.0.0.1:9", "--token", "t", "--link", link])
    assert stopped.value.code == 2
    assert "--link: not a personal link" in capsys.readouterr().err


def test_the_link_is_read_from_a_file_or_the_environment_and_only_its_secret_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    link_file = tmp_path / "link"
    link_file.write_text(f"https://ha.example.org/api/smartmulti/coworker?key={SECRET}\n")
    base = ["--agent", "http://127.0.0.1:9", "--token", "t"]
    parser = build_parser()
    _, settings = cli_settings(parser, parser.parse_args([*base, "--link-file", str(link_file)]))
    assert settings.link_secret == SECRET
    assert SECRET not in repr(settings)
    monkeypatch.setenv("SMARTMULTI_LINK", SECRET)
    _, settings = cli_settings(parser, parser.parse_args(base))
    assert settings.link_secret == SECRET
    monkeypatch.delenv("SMARTMULTI_LINK")
    _, settings = cli_settings(parser, parser.parse_args(base))
    assert settings.link_secret is None


def test_no_battery_exits_non_zero_with_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--agent", "http://127.0.0.1:9", "--token", "t"], source=lambda: None)
    assert code == EXIT_NO_BATTERY
    assert "no battery" in capsys.readouterr().err


async def test_wrong_token_stops_the_reporter_with_a_message(
    agent: RunningAgent, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--agent", agent.url, "--token", "not-the-token", "--outlet", "4"]
    code = await asyncio.to_thread(main, argv, source=FakeBattery())
    assert code == EXIT_REFUSED
    assert "refused the token" in capsys.readouterr().err


async def test_reporter_without_an_outlet_pairs_then_reports_for_its_outlet(
    agent: RunningAgent,
) -> None:
    controller = agent.agent.controller
    await until(lambda: any(o.relay_on for o in controller.outlets if not o.exception))
    outlet = min(o.id for o in controller.outlets if o.relay_on and not o.exception)

    def laptop() -> BatteryReading | None:
        return agent.world.battery(outlet)  # its plugged flag follows its relay

    link = f"http://ha.local:8123/api/smartmulti/coworker?key={SECRET}"
    reporter = reporter_for(agent.url, agent.reporter_token, laptop, link_secret=link_secret(link))
    with running(reporter):
        await until(lambda: battery_of(agent, outlet) is not None)
    assert reporter.outlet == outlet
    assert reporter.last_pairing is not None
    assert reporter.last_pairing.status == "paired"
    assert 1 <= reporter.last_pairing.windows <= 5
    paired = outlet_state(agent, outlet)["paired"]
    assert (paired["user"], paired["method"]) == ("Amina", "pairing")
    # The proof Home Assistant checks against Amina's personal link, not the link itself, over
    # a challenge the agent issued for it.
    challenge, _, _ = paired["user_proof"].partition(".")
    assert paired["user_proof"] == reporter_proof(SECRET, challenge)
    assert SECRET not in str(strip_view(agent.agent.controller, agent.agent.now()))
    # The pairing gave this laptop its own credential, bound to its outlet; the strip's state
    # never shows it, and the shared token alone cannot report for the outlet.
    credential = reporter.credential
    assert credential is not None
    assert agent.agent.controller.pairing.credentials.lookup(credential) == (outlet, False)
    assert strip_view(agent.agent.controller, agent.agent.now())["pairing"]["credential"] is None
    # Once the laptop reported with it, the run that issued it no longer holds it either.
    run = agent.agent.controller.pairing.latest()
    assert run is not None
    assert run.credential is None
    shared = AgentClient(agent.url, agent.reporter_token)
    with pytest.raises(AgentRefused) as refused:
        await asyncio.to_thread(shared.report_battery, outlet, 3.0, True, "Mallory")
    assert refused.value.code == "credential_required"


async def test_interrupted_pairing_is_cancelled_on_the_agent(agent: RunningAgent) -> None:
    client = AgentClient(agent.url, agent.reporter_token)
    reads = 0

    def plugged() -> bool:
        nonlocal reads
        reads += 1
        if reads > 1:
            raise KeyboardInterrupt  # Ctrl-C while the strip waits for the first answer
        return True

    def interrupted() -> bool:
        try:
            pair(client, plugged, "Amina", pause=threading.Event().wait)
        except KeyboardInterrupt:
            return True
        return False

    assert await asyncio.to_thread(interrupted)
    latest = agent.agent.controller.pairing.latest()
    assert latest is not None
    assert latest.status == "cancelled"
