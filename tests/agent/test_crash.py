"""kill -9 at random moments: counters restart from the last save and never go backwards; relay
counts are never shown lower than before."""

from __future__ import annotations

import json
from pathlib import Path
import random
import time
from typing import Any
import urllib.request

import pytest

from pi_agent.storage import StateStore
from tests.support.agent import AgentProcess, free_port, spawn_agent

from .crash_support import state

PERSIST_S = 1.0
KILLS = 50
CONFIG = f"""
[strip]
hard_limit_w = 1000
failsafe_budget_w = 600
persist_interval_s = {PERSIST_S}
stagger_s = 0.1
"""


def energies(snapshot: dict[str, Any]) -> dict[int, float]:
    return {o["id"]: o["energy_wh"] for o in snapshot["outlets"]}


def switch_counts(snapshot: dict[str, Any]) -> dict[int, int]:
    return {o["id"]: o["switches"] for o in snapshot["outlets"]}


def test_energy_counters_survive_kill_9_and_never_decrease(
    tmp_path: Path, socket_enabled: None
) -> None:
    config = tmp_path / "agent.toml"
    config.write_text(CONFIG)
    data_dir, port = tmp_path / "data", free_port()
    args = ("--config", str(config), "--speed", "30")
    rng = random.Random(20261126)
    agent = spawn_agent(data_dir, port, *args)
    max_total_w = sum(o["max_power_w"] for o in state(agent)["outlets"])
    persisted: dict[int, float] = {}
    worst_loss_wh = 0.0
    try:
        for _ in range(KILLS):
            time.sleep(rng.uniform(0.2, 1.5))
            shown = state(agent)
            before = energies(shown)
            agent.kill()
            saved = StateStore(data_dir / "state.json").load()
            assert saved is not None  # never corrupt: a whole file, checksum intact
            on_disk = {int(k): v["energy_wh"] for k, v in saved["outlets"].items()}
            for outlet_id, value in on_disk.items():
                assert value >= persisted.get(outlet_id, 0.0)  # saved counters never go back
            persisted = on_disk
            restarted_at = time.time()
            agent = spawn_agent(data_dir, port, *args)
            after_restart = state(agent)
            after = energies(after_restart)
            # It restarts from the last save.
            assert all(after[i] >= on_disk[i] - 1e-6 for i in on_disk)
            # A relay count shows no more than was saved, so none is shown lower after a kill.
            counted = switch_counts(after_restart)
            assert all(counted[i] >= n for i, n in switch_counts(shown).items())
            lost_wh = sum(before.values()) - sum(on_disk.values())
            worst_loss_wh = max(worst_loss_wh, lost_wh)
            # Relays restart in the safe state: anything on was switched by the new process.
            for outlet in after_restart["outlets"]:
                if outlet["relay"]:
                    assert outlet["last_switch_at"] >= restarted_at
        # At most one persistence interval (plus a sample) of the strip's maximum draw is lost.
        bound_wh = max_total_w * (PERSIST_S + 0.5) / 3600
        print(f"{KILLS} kills: worst loss {worst_loss_wh:.4f} Wh, bound {bound_wh:.4f} Wh")
        assert worst_loss_wh <= bound_wh
    finally:
        assert agent.terminate() == 0


def test_a_garbled_state_file_is_detected_and_the_previous_copy_used(
    tmp_path: Path, socket_enabled: None
) -> None:
    data_dir, port = tmp_path / "data", free_port()
    agent = spawn_agent(data_dir, port, "--speed", "30")
    time.sleep(1)
    assert agent.terminate() == 0
    agent = spawn_agent(data_dir, port, "--speed", "30")  # a second save: .prev now exists
    time.sleep(1)
    assert agent.terminate() == 0
    store = StateStore(data_dir / "state.json")
    previous = json.loads(store.previous.read_text())["data"]
    store.path.write_bytes(store.path.read_bytes()[:-40])  # truncated mid-write by a bad card
    agent = spawn_agent(data_dir, port, "--speed", "30", log_level="WARNING")
    try:
        energy = energies(state(agent))
        saved = {int(k): v["energy_wh"] for k, v in previous["outlets"].items()}
        assert all(energy[i] >= saved[i] - 1e-6 for i in saved)
    finally:
        assert agent.terminate() == 0
    log = agent.stderr_text()
    assert "is corrupt" in log
    assert "previous good state file" in log


def post(agent: AgentProcess, path: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        agent.url + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {agent.token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)  # type: ignore[no-any-return]


def balanced_on(snapshot: dict[str, Any]) -> list[int]:
    return [o["id"] for o in snapshot["outlets"] if o["relay"] and not o["exception"]]


@pytest.mark.parametrize("stop", ["SIGTERM", "SIGKILL"])
def test_a_closed_strip_stays_closed_across_a_restart(
    tmp_path: Path, socket_enabled: None, stop: str
) -> None:
    data_dir, port = tmp_path / "data", free_port()
    agent = spawn_agent(data_dir, port, "--speed", "30")
    deadline = time.monotonic() + 10
    while not balanced_on(state(agent)) and time.monotonic() < deadline:
        time.sleep(0.1)  # the failsafe rotation has switched laptops on
    assert balanced_on(state(agent))
    closed = {"on": [], "priority": [], "budget_w": 0, "ttl_s": 86400, "on_expiry": "off"}
    post(agent, "/api/v1/plan", closed)
    store = StateStore(data_dir / "state.json")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # the closing is saved at once, not at the next interval
        saved = store.load()
        if saved is not None and saved.get("plan") is not None:
            break
        time.sleep(0.05)
    if stop == "SIGKILL":
        agent.kill()
    else:
        assert agent.terminate() == 0
    agent = spawn_agent(data_dir, port, "--speed", "30")
    try:
        seen = []
        for _ in range(20):  # 2 s of wall time, a minute of simulated time
            snapshot = state(agent)
            seen.append((snapshot["mode"], balanced_on(snapshot)))
            time.sleep(0.1)
        assert all(mode == "planned" and not on for mode, on in seen), seen
        assert snapshot["plan"]["on_expiry"] == "off"
        assert snapshot["plan"]["expires_in_s"] > 86000
    finally:
        assert agent.terminate() == 0
