"""Connection floods on loopback: the API, the sampling loop and the saves keep going.

Every attack here is bounded in count and time and stops by itself; it targets 127.0.0.1 only.
"""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
from dataclasses import replace
import http.client
from pathlib import Path
import socket
import time

import pytest
import requests

from pi_agent.simulation import SIM_STRIP

from .threaded import ThreadedAgent, threaded_agent

SILENT = 400  # connections that send nothing, or half a request, and wait
CAP = 150
HEADER_TIMEOUT_S = 1.5


@pytest.fixture
def agent(tmp_path: Path, socket_enabled: None) -> Iterator[ThreadedAgent]:
    strip = replace(SIM_STRIP, persist_interval_s=1.0)
    with threaded_agent(tmp_path / "agent", strip=strip) as running:
        running.agent.connections.max_connections = CAP
        running.agent.connections.header_timeout_s = HEADER_TIMEOUT_S
        yield running


def open_silent(url: str, count: int) -> list[socket.socket]:
    host, port = url.removeprefix("http://").split(":")
    sockets = []
    for index in range(count):
        sock = socket.create_connection((host, int(port)), timeout=5)
        if index % 2:  # half a request: the header never ends
            sock.sendall(b"GET /api/v1/state HTTP/1.1\r\nHost: strip\r\nAuthorization: Bea")
        sockets.append(sock)
    return sockets


def closed_by_peer(sock: socket.socket) -> bool:
    sock.settimeout(0.05)
    try:
        return sock.recv(1024) == b""
    except TimeoutError:
        return False
    except OSError:
        return True  # reset


def test_silent_connections_neither_block_the_api_nor_the_samples_nor_the_saves(
    agent: ThreadedAgent,
) -> None:
    store = agent.agent.store.path
    headers = {"Authorization": f"Bearer {agent.token}"}
    sockets = open_silent(agent.url, SILENT)
    try:
        agent.agent.worst_sample_gap_s = 0.0
        saved_at = store.stat().st_mtime
        slowest = 0.0
        started = time.monotonic()
        while time.monotonic() - started < 3.0:
            for path, auth in (("/api/v1/info", {}), ("/api/v1/state", headers)):
                asked = time.monotonic()
                response = requests.get(agent.url + path, headers=auth, timeout=2)
                assert response.status_code == 200
                slowest = max(slowest, time.monotonic() - asked)
            assert len(agent.agent.connections) <= CAP
            time.sleep(0.1)
        gap = agent.agent.worst_sample_gap_s
        print(
            f"{SILENT} silent connections, cap {CAP}: slowest answer {slowest * 1000:.0f} ms, "
            f"worst sample gap {gap * 1000:.0f} ms, evicted {agent.agent.connections.evicted}"
        )
        guard = agent.agent.connections
        # Dropped for the cap, or already for their silence if opening them all was slow.
        assert guard.evicted + guard.timed_out >= SILENT - CAP
        assert slowest < 1.0
        assert gap < 0.5  # 5 Hz sampling: a gap is 200 ms
        assert store.stat().st_mtime > saved_at  # the counters were saved during the attack
        # Every silent connection is closed by the agent: evicted, or timed out without a header.
        open_ = list(sockets)
        deadline = time.monotonic() + HEADER_TIMEOUT_S + 5.0
        while open_ and time.monotonic() < deadline:
            open_ = [s for s in open_ if not closed_by_peer(s)]
        assert not open_
        assert guard.timed_out > 0
    finally:
        for sock in sockets:
            sock.close()


def test_requests_refused_for_their_token_keep_no_connection(agent: ThreadedAgent) -> None:
    host, port = agent.url.removeprefix("http://").split(":")
    agent.agent.throttle.free_failures = 10**9  # this test is about connections, not delays
    for _ in range(50):
        with contextlib.closing(socket.create_connection((host, int(port)), timeout=5)) as sock:
            sock.sendall(
                b"GET /api/v1/events HTTP/1.1\r\nHost: strip\r\nAuthorization: Bearer nope\r\n\r\n"
            )
            sock.settimeout(5)
            received = b""
            while chunk := sock.recv(4096):  # ends when the agent closes the connection
                received += chunk
            assert received.startswith(b"HTTP/1.1 401")
    assert len(agent.agent.connections) <= 2


def test_event_streams_are_capped_and_a_new_one_ends_the_oldest(agent: ThreadedAgent) -> None:
    headers = {"Authorization": f"Bearer {agent.token}"}
    cap = agent.agent.hub.max_subscribers
    streams = [
        requests.get(agent.url + "/api/v1/events", headers=headers, stream=True, timeout=5)
        for _ in range(cap + 1)
    ]
    try:
        assert all(s.status_code == 200 for s in streams)
        # The oldest stream ends: its body is finite now.
        body = b"".join(streams[0].iter_content(chunk_size=None))
        assert b"event: snapshot" in body
        assert agent.call(_subscribers) == cap
    finally:
        for stream in streams:
            stream.close()


async def _subscribers(agent: object) -> int:
    return len(agent.hub._subscribers)  # type: ignore[attr-defined]


def test_a_flood_past_the_file_limit_of_a_real_process(
    tmp_path: Path, socket_enabled: None
) -> None:
    """The agent as systemd runs it without ``LimitNOFILE`` (1024 files), 1100 silent peers."""
    import resource

    from tests.support.agent import free_port, spawn_agent

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2048:
        pytest.skip("this test needs 2048 open files for its own sockets")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 2048), hard))
    config = tmp_path / "agent.toml"
    config.write_text(
        "[strip]\nhard_limit_w = 1000\nfailsafe_budget_w = 600\npersist_interval_s = 1\n"
    )
    data_dir, port = tmp_path / "data", free_port()
    try:
        agent = spawn_agent(
            data_dir,
            port,
            "--config",
            str(config),
            log_level="INFO",
            limit_files=1024,
        )
        store = data_dir / "state.json"
        sockets = open_silent(agent.url, 1100)
        try:
            saved_at = store.stat().st_mtime
            slowest = 0.0
            started = time.monotonic()
            while time.monotonic() - started < 4.0:
                asked = time.monotonic()
                assert requests.get(agent.url + "/api/v1/info", timeout=2).status_code == 200
                slowest = max(slowest, time.monotonic() - asked)
                time.sleep(0.2)
            assert slowest < 1.0
            assert store.stat().st_mtime > saved_at
        finally:
            for sock in sockets:
                sock.close()
        assert agent.terminate() == 0
        log = agent.stderr_text()
        print(
            f"1100 silent connections, 1024 files: slowest /info {slowest * 1000:.0f} ms, "
            f"log {len(log)} bytes"
        )
        assert "Cannot save" not in log
        assert len(log) < 20_000
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_coworker_holding_every_connection_does_not_lock_out_home_assistant(
    agent: ThreadedAgent,
) -> None:
    """Every coworker holds the reporter token: a connection that presented it is no more
    Home Assistant's than a stranger's, so filling the cap with them must not keep HA out."""
    host, port = agent.url.removeprefix("http://").split(":")
    reporter = {"Authorization": f"Bearer {agent.agent.tokens.reporter}"}
    held = []
    try:
        for _ in range(CAP):  # each kept alive after one request with the reporter token
            connection = http.client.HTTPConnection(host, int(port), timeout=5)
            connection.request("GET", "/api/v1/pairings/0123456789abcdef", headers=reporter)
            response = connection.getresponse()
            response.read()
            assert response.status == 404
            held.append(connection)
        assert len(agent.agent.connections) == CAP
        admin = {"Authorization": f"Bearer {agent.token}"}
        for _ in range(3):  # Home Assistant reconnecting, a new connection each time
            with requests.Session() as session:
                response = session.get(agent.url + "/api/v1/state", headers=admin, timeout=2)
                assert response.status_code == 200
        assert agent.agent.connections.evicted >= 1  # a coworker's connection made room
        assert len(agent.agent.connections) <= CAP
    finally:
        for connection in held:
            connection.close()
