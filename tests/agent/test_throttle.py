"""Bad-token guessing: bounded for the whole strip, O(1) per request, never slowing the admin."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
import time

import aiohttp
import pytest

from pi_agent.auth import FailureThrottle
from tests.support.agent import AgentProcess, RunningAgent, free_port, spawn_agent, start_agent

ATTACKERS = 200  # source addresses 127.0.1.1 .. 127.0.1.200, loopback only
ATTACK_S = 3.0


def test_tracking_many_addresses_costs_constant_time_per_failure() -> None:
    throttle = FailureThrottle(max_addresses=10_000)
    started = time.perf_counter()
    for index in range(50_000):
        throttle.failed(f"10.{index // 65536}.{index // 256 % 256}.{index % 256}", 1.0)
    elapsed = time.perf_counter() - started
    assert len(throttle._failures) == 10_000
    assert elapsed < 0.5, f"{elapsed:.2f} s for 50,000 failures"


def test_the_strip_wide_gate_bounds_guesses_whatever_the_number_of_addresses() -> None:
    throttle = FailureThrottle(strip_rate_per_s=10, strip_burst=20, max_wait_s=5)
    waits = [throttle.wait_before_checking(f"10.0.0.{i}", 100.0) for i in range(1000)]
    admitted = [w for w in waits if w is not None]
    assert sum(1 for w in admitted if w == 0) == 21  # the burst, and the slot now
    assert len(admitted) == 71  # 21 at once, then one every 0.1 s up to 5 s
    assert max(admitted) <= 5.0
    assert throttle.refused == 1000 - 71


def test_an_address_that_presented_the_admin_token_skips_the_gate() -> None:
    throttle = FailureThrottle(strip_rate_per_s=1, strip_burst=1, max_wait_s=1)
    throttle.succeeded("192.168.1.10")
    for i in range(100):
        throttle.wait_before_checking(f"10.0.0.{i}", 5.0)
    assert throttle.wait_before_checking("192.168.1.10", 5.0) == 0.0


@pytest.fixture
async def agent(tmp_path: Path, socket_enabled: None) -> AsyncIterator[RunningAgent]:
    running = await start_agent(tmp_path / "agent")
    yield running
    await running.stop()


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "Bearer", "bEaReR"])
async def test_the_bearer_scheme_is_case_insensitive(agent: RunningAgent, scheme: str) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            agent.url + "/api/v1/state", headers={"Authorization": f"{scheme} {agent.token}"}
        ) as response,
    ):
        assert response.status == 200


async def test_guesses_from_many_loopback_addresses_are_bounded_for_the_strip(
    tmp_path: Path, socket_enabled: None
) -> None:
    """The agent as its own process, so the guessers do not share its event loop."""
    process = spawn_agent(tmp_path / "data", free_port())
    try:
        await guessing(process)
    finally:
        assert process.terminate() == 0


async def guessing(agent: AgentProcess) -> None:
    throttle = FailureThrottle()  # the agent's defaults
    loop = asyncio.get_running_loop()
    admin = {"Authorization": f"Bearer {agent.token}"}
    async with aiohttp.ClientSession() as http:
        async with http.get(agent.url + "/api/v1/state", headers=admin) as response:
            assert response.status == 200  # Home Assistant's address is known from now on
        answered: dict[int, int] = {}
        stop_at = loop.time() + ATTACK_S

        async def guesser(index: int) -> None:
            connector = aiohttp.TCPConnector(local_addr=(f"127.0.1.{index}", 0), force_close=True)
            async with aiohttp.ClientSession(connector=connector) as own:
                while loop.time() < stop_at:
                    try:
                        async with own.get(
                            agent.url + "/api/v1/state",
                            headers={"Authorization": f"Bearer guess-{index}-{loop.time()}"},
                            timeout=aiohttp.ClientTimeout(total=ATTACK_S + 6),
                        ) as reply:
                            answered[reply.status] = answered.get(reply.status, 0) + 1
                            if reply.status == 429:
                                await asyncio.sleep(0.2)
                    except aiohttp.ClientError:
                        answered[0] = answered.get(0, 0) + 1

        attack = [asyncio.create_task(guesser(i)) for i in range(1, ATTACKERS + 1)]
        slowest = 0.0
        while loop.time() < stop_at:
            asked = loop.time()
            async with http.get(agent.url + "/api/v1/state", headers=admin) as response:
                assert response.status == 200
            slowest = max(slowest, loop.time() - asked)
            await asyncio.sleep(0.2)
        await asyncio.gather(*attack)
    guesses = answered.get(401, 0)
    bound = throttle.strip_burst + throttle.strip_rate_per_s * (ATTACK_S + throttle.max_wait_s)
    print(
        f"{ATTACKERS} addresses for {ATTACK_S:g} s: {guesses} tokens compared "
        f"({guesses / ATTACK_S:.0f}/s), answers {answered}, admin slowest {slowest * 1000:.0f} ms"
    )
    assert guesses <= bound
    assert slowest < 1.0  # never queued behind the guessers (they would wait seconds)
