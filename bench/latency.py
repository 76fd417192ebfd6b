"""Push latency: an agent's relay change to Home Assistant's entity state, against polling.

Over 400 lines on purpose: the two agents, the polling proxy, Home Assistant and the timing
of one change are one experiment, read top to bottom.

python -m bench.latency --changes 200 --json bench/results/latency.json   (scripts/bench latency)

One run, two real agents (``python -m pi_agent --simulate --config``: no minimum on/off time,
no stagger), one real Home Assistant (``hass -c``) set up exactly as the demo sets it up
(``scripts.demo.prepare``: onboarding and the integration's config flow over HTTP):

- the **push** strip is added at the agent's own address: Home Assistant holds its event
  stream;
- the **poll** strip is added through a loopback proxy in this process that forwards every
  request to its agent except the event stream (``/api/v1/events`` answers 503), so the
  integration falls back on polling, at the shortest interval its options allow (5 s, set
  through the options flow).

Before measuring, the demo's automations are turned off and each strip gets its whole hard limit
as budget. When the automations are saved, their reload runs them: the closing hours may close
the strip and the off-peak budget lowers its budget to the peak one, so the agent's guard may
shed outlets, each then off for the guard's back-off (a minute), which a manual "on" waits out.
Left on, they would also close, open or re-budget a strip at their times in the middle of a run.
So the run starts once each agent holds the whole budget and none of the outlets it commands is
waiting (for a back-off, or for admission): every "on" can then act at the next sample.

A change is a manual relay command (``POST /api/v1/outlets/{id}/relay``, as the switch entity
sends it) to a balanced outlet. Its latency runs from the agent's own switch time (the
outlet's ``last_switch_at``, the agent's wall clock at the sample that moved the relay) to the
``last_changed`` of the outlet's switch entity in Home Assistant (from a websocket
``subscribe_events`` of ``state_changed``), both on this machine's clock. Push changes are made
one at a time, each after the previous one reached Home Assistant plus a short random pause;
poll changes are made on every balanced outlet of the poll strip at once, each outlet waiting
for its previous change to reach Home Assistant and then a random pause of up to one poll
interval, so that every change falls at an independent, uniformly random point of the poll
cycle (changes that land between the same two polls share that poll, like real ones).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
import contextlib
from dataclasses import dataclass, field
from datetime import datetime
import json
import os
from pathlib import Path
import random
import shutil
import statistics
import tempfile
import time
from typing import Any

import aiohttp
from aiohttp import web

from pi_agent.control.strip import SHED_BACKOFF_S
from scripts.demo import DOMAIN, Demo, DemoError, Websocket, free_port, prepare
from tests.support.agent import AgentProcess, spawn_agent

POLL_INTERVAL_S = 5  # the integration's smallest scan_interval
HARD_LIMIT_W = 3000  # above 15 outlets at their 165 W: no "on" ever waits for room
STRIP_TOML = f"""\
[strip]
name = "{{name}}"
hard_limit_w = {HARD_LIMIT_W}
failsafe_budget_w = {HARD_LIMIT_W}
min_on_s = 0
min_off_s = 0
stagger_s = 0
settle_s = 0.5
"""


@dataclass
class Strip:
    """One strip of the run: its agent process and how Home Assistant reaches it."""

    name: str
    agent: AgentProcess
    ha_port: int  # the agent's port, or the proxy's
    serial: str = ""
    entities: dict[int, str] = field(default_factory=dict)  # outlet id -> switch entity
    samples: list[float] = field(default_factory=list)  # switch -> state, seconds
    from_command: list[float] = field(default_factory=list)  # command sent -> state, seconds


class Rig(Demo):
    """The demo's Home Assistant with two strips instead of one (``prepare`` drives it)."""

    def __init__(self, root: Path, strips: Sequence[Strip]) -> None:
        super().__init__(root, "127.0.0.1", 1.0, 1)
        self.strips = list(strips)
        self._current = self.strips[0]

    @property
    def agent_dir(self) -> Path:
        return self._current.agent.data_dir

    def start_agent(self) -> None:
        """Already running (the proxy lives in this process): just watch the processes."""
        self.processes.append(self.strips[0].agent.process)
        self.agent_port = self.strips[0].agent.port

    def start_home_assistant(self) -> None:
        super().start_home_assistant()
        self.processes.extend(s.agent.process for s in self.strips[1:])

    async def add_integration(self, session: aiohttp.ClientSession) -> None:
        """The demo's config flow, once per strip, each at the address Home Assistant uses."""
        for strip in self.strips:
            self._current = strip
            self.agent_port = strip.ha_port
            await super().add_integration(session)
        self._current = self.strips[0]
        self.agent_port = self.strips[0].agent.port


async def proxy(target_port: int) -> tuple[web.AppRunner, int]:
    """A loopback proxy to an agent that withholds the event stream."""
    client = aiohttp.ClientSession(auto_decompress=False)

    async def forward(request: web.Request) -> web.StreamResponse:
        if request.path == "/api/v1/events":
            return web.json_response(
                {"error": {"code": "unavailable", "message": "no event stream (benchmark)"}},
                status=503,
            )
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() in {"authorization", "content-type"}
        }
        async with client.request(
            request.method,
            f"http://127.0.0.1:{target_port}{request.rel_url}",
            headers=headers,
            data=await request.read(),
        ) as upstream:
            body = await upstream.read()
            return web.Response(
                status=upstream.status,
                body=body,
                content_type=upstream.content_type,
                headers={k: v for k, v in upstream.headers.items() if k.lower() == "allow"},
            )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", forward)
    app.on_cleanup.append(lambda _app: client.close())
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port(0)
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, port


class StateChanges:
    """Every ``state_changed`` of the switch entities, from a websocket subscription."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str], list[float]] = {}  # (entity, state) -> last_changed
        self.arrived = asyncio.Condition()

    async def follow(self, ws: Websocket) -> None:
        await ws.socket.send_json(
            {"id": 1, "type": "subscribe_events", "event_type": "state_changed"}
        )
        async for message in ws.socket:
            if message.type is not aiohttp.WSMsgType.TEXT:
                break
            data = json.loads(message.data)
            if data.get("type") != "event":
                continue
            new = data["event"]["data"].get("new_state")
            if not new or not new["entity_id"].startswith("switch."):
                continue
            changed = datetime.fromisoformat(new["last_changed"]).timestamp()
            self.seen.setdefault((new["entity_id"], new["state"]), []).append(changed)
            async with self.arrived:
                self.arrived.notify_all()

    async def wait(self, entity: str, state: str, after: float, limit_s: float) -> float:
        """The first ``last_changed`` of ``entity`` to ``state`` at or after ``after``."""

        def found() -> float | None:
            return next((t for t in self.seen.get((entity, state), []) if t >= after), None)

        async with asyncio.timeout(limit_s), self.arrived:
            while (changed := found()) is None:
                await self.arrived.wait()
        return changed


async def toggle_and_time(
    session: aiohttp.ClientSession, strip: Strip, outlet: int, changes: StateChanges, limit_s: float
) -> float:
    """Command the relay to the other state, read the agent's switch time, wait for Home
    Assistant; the latency in seconds."""
    agent = strip.agent
    headers = {"Authorization": f"Bearer {agent.token}"}
    url = f"{agent.url}/api/v1/outlets/{outlet}"
    async with session.get(url, headers=headers) as response:
        before = await response.json()
    on = not before["relay"]
    commanded = time.time()
    async with session.post(f"{url}/relay", json={"on": on}, headers=headers) as response:
        response.raise_for_status()
    async with asyncio.timeout(10):
        while True:
            async with session.get(url, headers=headers) as response:
                view = await response.json()
            if view["relay"] is on and view["last_switch_at"] != before["last_switch_at"]:
                switched = float(view["last_switch_at"])
                break
            await asyncio.sleep(0.02)
    # The entity's change is the first to the new state at or after the switch (a few ms of
    # slack for a clock read a little earlier in the same sample).
    changed = await changes.wait(
        strip.entities[outlet], "on" if on else "off", switched - 0.005, limit_s
    )
    strip.from_command.append(changed - commanded)
    return changed - switched


async def run_push(
    session: aiohttp.ClientSession, strip: Strip, changes: StateChanges, count: int
) -> None:
    outlets = sorted(strip.entities)
    rng = random.Random(1)
    for k in range(count):
        outlet = outlets[k % len(outlets)]
        strip.samples.append(await toggle_and_time(session, strip, outlet, changes, 10.0))
        await asyncio.sleep(rng.uniform(0.1, 0.3))


async def run_poll(
    session: aiohttp.ClientSession, strip: Strip, changes: StateChanges, count: int
) -> None:
    rng = random.Random(2)
    remaining = [count]

    async def worker(outlet: int) -> None:
        await asyncio.sleep(rng.uniform(0, POLL_INTERVAL_S))
        while remaining[0] > 0:
            remaining[0] -= 1
            strip.samples.append(
                await toggle_and_time(session, strip, outlet, changes, 4.0 * POLL_INTERVAL_S)
            )
            await asyncio.sleep(rng.uniform(0, POLL_INTERVAL_S))

    await asyncio.gather(*(worker(o) for o in sorted(strip.entities)))


async def wait_until_switchable(session: aiohttp.ClientSession, strip: Strip) -> None:
    """Until the agent holds the whole hard limit as budget and none of the strip's commanded
    outlets is waiting (a guard's back-off from the set-up, or admission)."""
    headers = {"Authorization": f"Bearer {strip.agent.token}"}
    state: dict[str, Any] = {}
    waiting: list[int] = []
    try:
        async with asyncio.timeout(SHED_BACKOFF_S + 30):
            while True:
                async with session.get(
                    f"{strip.agent.url}/api/v1/state", headers=headers
                ) as response:
                    state = await response.json()
                waiting = [
                    o["id"]
                    for o in state["outlets"]
                    if o["id"] in strip.entities and o["state"] == "waiting"
                ]
                if state["budget_w"] >= HARD_LIMIT_W and not waiting:
                    return
                await asyncio.sleep(0.5)
    except TimeoutError:
        raise DemoError(
            f"the {strip.name} strip is not ready to switch: budget {state.get('budget_w')} W, "
            f"outlets waiting {waiting}"
        ) from None


async def set_poll_interval(rig: Rig, session: aiohttp.ClientSession, entry_id: str) -> None:
    """The options flow, as a manager would use it: Polling, 5 s."""
    base = f"{rig.ha_url}/api/config/config_entries/options/flow"
    async with session.post(base, json={"handler": entry_id}, headers=rig.auth) as response:
        flow = await response.json()
    for body in ({"next_step_id": "polling"}, {"scan_interval": POLL_INTERVAL_S}):
        async with session.post(
            f"{base}/{flow['flow_id']}", json=body, headers=rig.auth
        ) as response:
            flow = await response.json()
    if flow.get("type") != "create_entry":
        raise DemoError(f"the polling options were not saved: {flow}")


def summary(samples: Sequence[float]) -> dict[str, Any]:
    ms = sorted(1000.0 * s for s in samples)

    def q(p: float) -> float:
        return round(statistics.quantiles(ms, n=100, method="inclusive")[int(p) - 1], 1)

    return {
        "changes": len(ms),
        "p50_ms": q(50),
        "p95_ms": q(95),
        "p99_ms": q(99),
        "min_ms": round(ms[0], 1),
        "max_ms": round(ms[-1], 1),
        "mean_ms": round(statistics.fmean(ms), 1),
    }


async def bench(changes_count: int, root: Path) -> dict[str, Any]:
    agents = []
    for name in ("push", "poll"):
        data = root / f"agent-{name}"
        data.mkdir(parents=True)
        config = root / f"{name}.toml"
        config.write_text(STRIP_TOML.format(name=f"Latency {name}"))
        port = free_port(0)
        agents.append(
            await asyncio.to_thread(spawn_agent, data, port, "--config", str(config), "--seed", "7")
        )
    runner, proxy_port = await proxy(agents[1].port)
    push = Strip("push", agents[0], agents[0].port)
    poll = Strip("poll", agents[1], proxy_port)
    rig = Rig(root / "ha", [push, poll])
    rig.root.mkdir(parents=True)
    try:
        await prepare(rig)
        async with aiohttp.ClientSession() as session:
            ws = await rig.websocket(session)
            version = (await ws.call("get_config"))["version"]
            entries = await ws.call("config_entries/get", domain=DOMAIN)
            registry = await ws.call("config/entity_registry/list")
            await ws.call(
                "call_service", domain="automation", service="turn_off",
                service_data={"stop_actions": True}, target={"entity_id": "all"},
            )  # fmt: skip
            for strip in (push, poll):
                async with session.get(f"{strip.agent.url}/api/v1/info") as response:
                    strip.serial = (await response.json())["serial"]
                async with session.get(
                    f"{strip.agent.url}/api/v1/state",
                    headers={"Authorization": f"Bearer {strip.agent.token}"},
                ) as response:
                    outlets = (await response.json())["outlets"]
                by_unique = {e["unique_id"]: e["entity_id"] for e in registry}
                strip.entities = {
                    o["id"]: by_unique[f"{strip.serial}_outlet_{o['id']}_relay"]
                    for o in outlets
                    if not o["exception"]
                }
                # The demo lowers its strip's budget so that balancing has choices; here every
                # manual "on" must be admitted at once, so each strip gets its whole hard limit.
                await ws.call(
                    "call_service", domain="number", service="set_value",
                    service_data={"value": HARD_LIMIT_W},
                    target={"entity_id": by_unique[f"{strip.serial}_budget"]},
                )  # fmt: skip
            entry = next(e for e in entries if e["title"] == "Latency poll")
            await set_poll_interval(rig, session, entry["entry_id"])
            await rig.wait_for_entities(ws, 120)
            for strip in (push, poll):
                await wait_until_switchable(session, strip)
            listener = await rig.websocket(session)
            changes = StateChanges()
            follower = asyncio.create_task(changes.follow(listener))
            await asyncio.sleep(1)
            started = time.monotonic()
            await asyncio.gather(
                run_push(session, push, changes, changes_count),
                run_poll(session, poll, changes, changes_count),
            )
            elapsed = time.monotonic() - started
            load = os.getloadavg()[0]  # the tail is the machine's: say how busy it was
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower
            await listener.close()
            await ws.close()
    finally:
        rig.stop()
        await runner.cleanup()
    return {
        "push": summary(push.samples),
        "poll": summary(poll.samples),
        "from_command": {"push": summary(push.from_command), "poll": summary(poll.from_command)},
        "poll_interval_s": POLL_INTERVAL_S,
        "poll_outlets_in_parallel": len(poll.entities),
        "run_s": round(elapsed, 1),
        "home_assistant": version,
        "load_average_1min": round(load, 2),
        "samples_ms": {
            "push": [round(1000 * s, 2) for s in push.samples],
            "poll": [round(1000 * s, 2) for s in poll.samples],
        },
    }


def markdown(result: dict[str, Any]) -> str:
    rows = [
        "| | changes | p50 ms | p95 ms | p99 ms | min ms | max ms | mean ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, label in (
        ("push", "push (event stream)"),
        ("poll", f"poll every {result['poll_interval_s']} s"),
    ):
        s = result[name]
        rows.append(
            f"| {label} | {s['changes']} | {s['p50_ms']} | {s['p95_ms']} | {s['p99_ms']} "
            f"| {s['min_ms']} | {s['max_ms']} | {s['mean_ms']} |"
        )
    push, poll = result["push"], result["poll"]
    for name in ("push", "poll"):
        s = result["from_command"][name]
        rows.append(
            f"| {name}, from the command (includes the agent's next sample) | {s['changes']} "
            f"| {s['p50_ms']} | {s['p95_ms']} | {s['p99_ms']} | {s['min_ms']} | {s['max_ms']} "
            f"| {s['mean_ms']} |"
        )
    rows.append("")
    rows.append(
        f"Poll / push: p50 x{poll['p50_ms'] / push['p50_ms']:.0f}, "
        f"p95 x{poll['p95_ms'] / push['p95_ms']:.0f} (run {result['run_s']} s, Home Assistant "
        f"{result['home_assistant']}, load average {result['load_average_1min']})."
    )
    return "\n".join(rows) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=200, help="per strip")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep", type=Path, help="keep Home Assistant's files here")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="smartmulti-latency-"))
    try:
        result = asyncio.run(bench(args.changes, root))
    finally:
        if args.keep:
            shutil.copytree(root, args.keep, dirs_exist_ok=True)
        shutil.rmtree(root, ignore_errors=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    print(markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
