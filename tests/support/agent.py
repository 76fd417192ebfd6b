"""A real SmartMulti agent, in simulation, serving on loopback for the duration of a test.

Tests of the integration, the reporter and the benchmarks talk to this over real HTTP: nothing
between Home Assistant and the agent is mocked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
import contextlib
from dataclasses import dataclass, field
import os
from pathlib import Path
import signal
import subprocess
import sys
import time
from typing import Any

from pi_agent.auth import Tokens, load_or_create_token
from pi_agent.config import AgentConfig, StripConfig
from pi_agent.runtime import Agent, Identity
from pi_agent.sim.fleet import Fleet
from pi_agent.sim.world import World
from pi_agent.simulation import SIM_STRIP, simulated

REPO = Path(__file__).resolve().parents[2]


@dataclass
class RunningAgent:
    agent: Agent
    world: World
    data_dir: Path
    host: str
    port: int
    _stop: asyncio.Event
    _task: asyncio.Task[None]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def token(self) -> str:
        return self.agent.tokens.admin

    @property
    def reporter_token(self) -> str:
        return self.agent.tokens.reporter

    @property
    def serial(self) -> str:
        return self.agent.identity.serial

    @property
    def config(self) -> AgentConfig:
        return self.agent.config

    async def stop(self) -> None:
        """Stop like SIGTERM would: relays to the safe state, state saved, port released."""
        self._stop.set()
        await self._task


def build_agent(
    data_dir: Path,
    *,
    seed: int = 1,
    speed: float = 1.0,
    outlets: int = 16,
    strip: StripConfig | None = None,
    serial: str | None = None,
    clock: Callable[[], float] = time.monotonic,
    fleet: Fleet | None = None,
    max_power_w: Sequence[float] | None = None,
    wall_clock: Callable[[], float] = time.time,
) -> tuple[Agent, World]:
    """A simulated agent, not yet running (tests that step it by hand start only its server).

    ``fleet`` and ``max_power_w``: see ``pi_agent.simulation.simulated`` (``outlets`` is then
    the fleet's).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    tokens = Tokens(
        admin=load_or_create_token(data_dir / "token"),
        reporter=load_or_create_token(data_dir / "reporter_token"),
    )
    config, hardware, world = simulated(
        strip or SIM_STRIP,
        seed=seed,
        speed=speed,
        outlets=fleet.outlets if fleet else outlets,
        fleet=fleet,
        max_power_w=max_power_w,
    )
    identity = Identity(
        serial=serial or f"sim-{data_dir.name}-{seed}",
        name=config.strip.name,
        simulated=True,
        time_scale=speed,
    )
    agent = Agent(
        config,
        hardware,
        identity=identity,
        tokens=tokens,
        data_dir=data_dir,
        clock=clock,
        wall_clock=wall_clock,
    )
    return agent, world


async def start_agent(
    data_dir: Path,
    *,
    seed: int = 1,
    speed: float = 1.0,
    outlets: int = 16,
    strip: StripConfig | None = None,
    port: int = 0,
    serial: str | None = None,
    clock: Callable[[], float] = time.monotonic,
    fleet: Fleet | None = None,
    max_power_w: Sequence[float] | None = None,
) -> RunningAgent:
    """Start a simulated agent in this event loop; ``port=0`` picks a free port."""
    agent, world = build_agent(
        data_dir,
        seed=seed,
        speed=speed,
        outlets=outlets,
        strip=strip,
        serial=serial,
        clock=clock,
        fleet=fleet,
        max_power_w=max_power_w,
    )
    stop = asyncio.Event()
    bound: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def ready(actual_port: int) -> None:
        bound.set_result(actual_port)

    task = asyncio.create_task(agent.run("127.0.0.1", port, stop=stop, ready=ready))
    done, _ = await asyncio.wait({task, bound}, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        task.result()  # raises the start-up error
    # Switch-ons are staggered, an exception outlet's first: tests start once the failsafe
    # rotation has a laptop's outlet on, as a strip that has been running a moment would.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 3.0
    controller = agent.controller
    while loop.time() < deadline and not any(
        o.relay_on for o in controller.outlets if not o.exception
    ):
        if controller.mode == "off" or all(o.exception for o in controller.outlets):
            break
        await asyncio.sleep(0.05)
    return RunningAgent(agent, world, data_dir, "127.0.0.1", bound.result(), stop, task)


@dataclass
class AgentProcess:
    """The agent as a separate process (``python -m pi_agent``), for kill -9 tests."""

    process: subprocess.Popen[bytes]
    data_dir: Path
    port: int
    # Its stderr goes to a file, not a pipe: a pipe nobody reads blocks a chatty agent, and
    # one nobody closes leaks. Restarts on the same data append; this process's part starts
    # at ``stderr_from``.
    stderr_path: Path
    stderr_from: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def token(self) -> str:
        return (self.data_dir / "token").read_text().strip()

    def stderr_text(self) -> str:
        """What this process logged (complete once it has exited)."""
        with self.stderr_path.open("rb") as log:
            log.seek(self.stderr_from)
            return log.read().decode(errors="replace")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def terminate(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(20)


def spawn_agent(
    data_dir: Path,
    port: int,
    *args: str,
    log_level: str = "ERROR",
    limit_files: int | None = None,
) -> AgentProcess:
    """Start ``python -m pi_agent --simulate`` and wait until it answers /info.

    ``limit_files`` sets the process's open-file limit, as systemd's ``LimitNOFILE`` would.
    """
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    def limit() -> None:
        if limit_files is not None:
            import resource

            _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            resource.setrlimit(resource.RLIMIT_NOFILE, (limit_files, hard))

    stderr_path = data_dir.with_name(f"{data_dir.name}.stderr")
    stderr_from = stderr_path.stat().st_size if stderr_path.exists() else 0
    with stderr_path.open("ab") as stderr:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pi_agent",
                "--simulate",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--data-dir",
                str(data_dir),
                "--log-level",
                log_level,
                *args,
            ],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            preexec_fn=limit if limit_files is not None else None,  # noqa: PLW1509 (no threads yet)
        )
    agent = AgentProcess(process, data_dir, port, stderr_path, stderr_from)
    deadline = time.monotonic() + 30
    import urllib.request

    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"agent exited: {agent.stderr_text()}")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/info", timeout=1),
        ):
            return agent
        time.sleep(0.05)
    process.kill()
    raise RuntimeError("agent did not start within 30 s")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
