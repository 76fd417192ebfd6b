"""kill -9 at any moment: counters restart from the last save and never go backwards."""

from __future__ import annotations

import json
from pathlib import Path
import random
import time
import urllib.request

from tests.support.agent import AgentProcess, free_port, spawn_agent

PERSIST_S = 1.0
CONFIG = f"""
[strip]
hard_limit_w = 1000
failsafe_budget_w = 600
persist_interval_s = {PERSIST_S}
stagger_s = 0.1
"""


def state(agent: AgentProcess) -> dict:
    request = urllib.request.Request(
        agent.url + "/api/v1/state", headers={"Authorization": f"Bearer {agent.token}"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


def energies(snapshot: dict) -> dict[int, float]:
    return {o["id"]: o["energy_wh"] for o in snapshot["outlets"]}


def test_energy_counters_survive_kill_9_and_never_decrease(
    tmp_path: Path, socket_enabled: None
) -> None:
    config = tmp_path / "agent.toml"
    config.write_text(CONFIG)
    data_dir, port = tmp_path / "data", free_port()
    rng = random.Random(20261126)
    agent = spawn_agent(data_dir, port, "--config", str(config), "--speed", "30")
    restored = energies(state(agent))
    max_total_w = sum(o["max_power_w"] for o in state(agent)["outlets"])
    try:
        for _ in range(5):
            time.sleep(rng.uniform(1.5, 3.0))
            before = energies(state(agent))
            agent.kill()
            restarted_at = time.time()
            agent = spawn_agent(data_dir, port, "--config", str(config), "--speed", "30")
            after_restart = state(agent)
            after = energies(after_restart)
            for outlet_id, value in after.items():
                assert value >= restored[outlet_id]  # never below an earlier restored value
            lost_wh = sum(before.values()) - sum(after.values())
            assert lost_wh <= max_total_w * (PERSIST_S + 0.5) / 3600
            # relays restart in the safe state: nothing left on but what this process switched
            for outlet in after_restart["outlets"]:
                if outlet["relay"]:
                    assert outlet["last_switch_at"] >= restarted_at
            assert after_restart["total_power_w"] <= 600
            restored = after
    finally:
        assert agent.terminate() == 0
