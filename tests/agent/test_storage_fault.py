"""A data directory that refuses writes: shown as a fault, confirmed to nobody, nothing shown lost.

The fault is real: a directory sits where the agent writes its temporary state file, so every
save fails in ``open`` as on a read-only or full card (and also when the tests run as root,
whom permissions would not stop).
"""

from __future__ import annotations

import json
from pathlib import Path
import time
from typing import Any
import urllib.error
import urllib.request

from tests.support.agent import AgentProcess, free_port, spawn_agent

from .crash_support import state

CONFIG = """
[strip]
hard_limit_w = 1000
failsafe_budget_w = 600
persist_interval_s = 1
"""


def call(agent: AgentProcess, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        agent.url + path,
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Bearer {agent.token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as err:
        with err:
            return err.code, json.load(err)


def test_failing_saves_are_a_fault_and_shown_counters_never_go_back_after_a_kill(
    tmp_path: Path, socket_enabled: None
) -> None:
    config = tmp_path / "agent.toml"
    config.write_text(CONFIG)
    data_dir, port = tmp_path / "data", free_port()
    args = ("--config", str(config), "--speed", "30")
    agent = spawn_agent(data_dir, port, *args)
    blocker = data_dir / "state.json.tmp"
    try:
        deadline = time.monotonic() + 10
        while state(agent)["total_energy_wh"] < 0.05 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert state(agent)["faults"] == {}
        while True:  # from now on every save fails
            try:
                blocker.mkdir()
                break
            except FileExistsError:  # a save is writing it right now: renamed in a moment
                time.sleep(0.01)
        deadline = time.monotonic() + 5
        while "storage" not in state(agent)["faults"] and time.monotonic() < deadline:
            time.sleep(0.1)
        snapshot = state(agent)
        assert "cannot save" in snapshot["faults"]["storage"]
        assert call(agent, "GET", "/api/v1/info")[1]["faults"] == ["storage"]

        status, body = call(agent, "PATCH", "/api/v1/outlets/2", {"name": "Window desk"})
        assert status == 503
        assert body["error"]["code"] == "storage_unavailable"
        assert state(agent)["outlets"][1]["name"] == "Window desk"  # in effect meanwhile

        shown = []
        for _ in range(15):  # the strip keeps charging laptops; the counters shown wait
            shown.append(state(agent)["total_energy_wh"])
            time.sleep(0.1)
        assert shown == sorted(shown)
        highest = max(shown)
        agent.kill()
        blocker.rmdir()
        agent = spawn_agent(data_dir, port, *args)
        after = state(agent)
        assert after["total_energy_wh"] >= highest - 1e-6
        assert after["faults"] == {}
    finally:
        assert agent.terminate() == 0
