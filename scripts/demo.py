"""The one-command demo: a simulated strip and a real Home Assistant with SmartMulti set up.

Everything goes through the product's real front doors: the agent is ``python -m pi_agent``,
Home Assistant is ``hass -c``, onboarding and the integration's config flow are driven through
Home Assistant's own HTTP API, and the dashboards are saved through its websocket API.

Over 400 lines: one driver that reads top to bottom as the steps the demo takes (the
dashboards, automations, history and icons have their own ``demo_*`` modules).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from dataclasses import dataclass, field
import json
import os
from pathlib import Path
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Any

import aiohttp

from pi_agent.sim.fleet import OWNERS
from scripts.demo_automations import install_automations, install_opening_hours
from scripts.demo_brands import install_brand_placeholder
from scripts.demo_dashboards import install_dashboards
from scripts.demo_history import import_history, set_demo_price

REPO = Path(__file__).resolve().parents[1]
PYTHON = Path(sys.executable)
# The Home Assistant the demo runs: the one beside this interpreter (scripts/demo runs in
# .venv-demo), or the one SMARTMULTI_HASS names (the suite runs in .venv, on the release its
# test plugin pins, and starts the demo's newer release from .venv-demo).
HASS = Path(os.environ.get("SMARTMULTI_HASS") or PYTHON.parent / "hass")
DOMAIN = "smartmulti"
CLIENT_ID = "http://127.0.0.1/"
USERNAME = "manager"

CONFIGURATION = """\
# Written by scripts/demo. Only what the demo needs, so it starts offline: no cloud, no
# bluetooth, no discovery on your network.
homeassistant:
  name: SmartMulti coworking
  unit_system: metric
  currency: EUR
  country: FR
  language: {language}
  time_zone: Europe/Paris
  latitude: 48.8566
  longitude: 2.3522
  elevation: 35
frontend:
config:
# What the automation, script and scene editors save (a UI-made automation lives there).
automation: !include automations.yaml
script: !include scripts.yaml
scene: !include scenes.yaml
energy:
history:
logbook:
recorder:
  purge_keep_days: 30
api:
person:
system_health:
logger:
  default: warning
  logs:
    homeassistant.components.camera.img_util: critical
    homeassistant.loader: error
    # The ffmpeg integration (a base platform's dependency) looks for an ffmpeg binary that
    # nothing in the demo uses.
    haffmpeg: critical
    custom_components.smartmulti: info
"""


# The files Home Assistant's editors write, as a new installation has them.
EDITABLE_FILES = {"automations.yaml": "[]\n", "scripts.yaml": "{}\n", "scenes.yaml": "[]\n"}

# Home Assistant's own defaults for its HTTP settings (homeassistant.components.http.config).
HTTP_DEFAULTS = {
    "cors_allowed_origins": ["https://cast.home-assistant.io"],
    "login_attempts_threshold": -1,
    "ip_ban_enabled": True,
    "ssl_profile": "modern",
    "use_x_frame_options": True,
    "created_at": "2026-01-01T00:00:00+00:00",
    "error": None,
    "error_message": None,
}


class DemoError(RuntimeError):
    """The demo cannot go on; the message says why."""


def free_port(preferred: int) -> int:
    for port in (preferred, 0):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise DemoError("no free TCP port")


@dataclass
class Demo:
    root: Path
    host: str
    speed: float
    seed: int
    language: str = "en"
    agent_port: int = 0
    ha_port: int = 0
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    password: str = ""
    access_token: str = ""

    @property
    def ha_url(self) -> str:
        return f"http://127.0.0.1:{self.ha_port}"

    @property
    def agent_dir(self) -> Path:
        return self.root / "agent"

    @property
    def config_dir(self) -> Path:
        return self.root / "homeassistant"

    # ------------------------------------------------------------------ processes

    def start_agent(self) -> None:
        self.agent_port = free_port(8450)
        self.agent_dir.mkdir(parents=True, exist_ok=True)
        log = (self.root / "agent.log").open("ab")
        self.processes.append(
            subprocess.Popen(
                [str(PYTHON), "-m", "pi_agent", "--simulate", "--host", "127.0.0.1",
                 "--port", str(self.agent_port), "--data-dir", str(self.agent_dir),
                 "--speed", str(self.speed), "--seed", str(self.seed)],
                cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONPATH": str(REPO)},
            )
        )  # fmt: skip

    def start_home_assistant(self) -> None:
        self.ha_port = free_port(8123)
        self.config_dir.mkdir(parents=True, exist_ok=True)
        (self.config_dir / "configuration.yaml").write_text(
            CONFIGURATION.format(language=self.language)
        )
        for editable, empty in EDITABLE_FILES.items():
            if not (self.config_dir / editable).exists():
                (self.config_dir / editable).write_text(empty)
        # The product's blueprints, as the manager imports them (docs/blueprints.md).
        blueprints = self.config_dir / "blueprints" / "automation" / DOMAIN
        blueprints.mkdir(parents=True, exist_ok=True)
        for blueprint in (REPO / "blueprints" / "automation" / DOMAIN).glob("*.yaml"):
            shutil.copy(blueprint, blueprints / blueprint.name)
        storage = self.config_dir / ".storage"
        storage.mkdir(exist_ok=True)
        # Home Assistant keeps its HTTP settings in storage (YAML for them is deprecated): this
        # run's address is written as the confirmed ("stable") settings, as if set in the UI.
        (storage / "http").write_text(
            json.dumps(
                {"version": 2, "minor_version": 2, "key": "http",
                 "data": {"stable": {**HTTP_DEFAULTS, "server_host": [self.host],
                                     "server_port": self.ha_port},
                          "pending": None, "yaml_migration_done": True}}
            )
        )  # fmt: skip
        onboarding = storage / "onboarding"
        if not onboarding.exists():
            # The location, units and currency come from configuration.yaml: the onboarding step
            # that asks for them is marked done, so it does not also set up the weather, radio
            # and text-to-speech integrations it adds for a new home (they need the internet).
            onboarding.write_text(
                json.dumps(
                    {"version": 4, "minor_version": 1, "key": "onboarding",
                     "data": {"done": ["core_config"]}}
                )
            )  # fmt: skip
        # Offline, Home Assistant's own integrations get a neutral icon, not a broken image.
        install_brand_placeholder(self.config_dir)
        components = self.config_dir / "custom_components"
        components.mkdir(exist_ok=True)
        link = components / DOMAIN
        if link.is_symlink() or link.exists():
            link.unlink() if link.is_symlink() else shutil.rmtree(link)
        link.symlink_to(REPO / "custom_components" / DOMAIN, target_is_directory=True)
        log = (self.root / "homeassistant.log").open("ab")
        self.processes.append(
            subprocess.Popen(
                [str(HASS), "-c", str(self.config_dir), "--skip-pip", "--log-file",
                 str(self.config_dir / "home-assistant.log")],
                cwd=self.root, stdout=log, stderr=subprocess.STDOUT,
            )
        )  # fmt: skip

    def stop(self) -> None:
        """SIGTERM Home Assistant, then the agent (which puts its relays in the safe state).

        One after the other: Home Assistant stopping still talks to the agent.
        """
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()

    def reports(self) -> list[str]:
        """What Home Assistant's log says about this integration's use of its APIs (deprecated
        calls, blocking I/O in the event loop...): none is expected."""
        log = self.config_dir / "home-assistant.log"
        if not log.exists():
            return []
        return [
            line.strip()
            for line in log.read_text(errors="replace").splitlines()
            if "custom integration 'smartmulti'" in line
            or ("smartmulti" in line and "deprecated" in line)
        ]

    def check_alive(self) -> None:
        for process, name in zip(self.processes, ("agent", "Home Assistant"), strict=False):
            if process.poll() is not None:
                raise DemoError(f"the {name} exited (code {process.returncode}); see {self.root}")

    # ------------------------------------------------------------------ Home Assistant

    async def wait_for(self, session: aiohttp.ClientSession, url: str, within_s: float) -> None:
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            self.check_alive()
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with session.get(url, timeout=aiohttp.ClientTimeout(total=5)) as response:
                    if response.status < 500:
                        return
            await asyncio.sleep(0.5)
        raise DemoError(f"{url} did not answer within {within_s:.0f} s")

    async def onboard(self, session: aiohttp.ClientSession) -> None:
        """Onboarding through Home Assistant's API, as its first-run wizard does it."""
        credentials = self.root / "credentials.json"
        async with session.get(f"{self.ha_url}/api/onboarding") as response:
            # Once onboarding is complete, Home Assistant no longer serves its API (404).
            done = response.status == 404 or all(s["done"] for s in await response.json())
        if done:
            saved = json.loads(credentials.read_text())
            self.password = saved["password"]
            self.access_token = await self.login(session)
            return
        self.password = secrets.token_urlsafe(9)
        credentials.write_text(json.dumps({"username": USERNAME, "password": self.password}))
        credentials.chmod(0o600)
        async with session.post(
            f"{self.ha_url}/api/onboarding/users",
            json={"client_id": CLIENT_ID, "name": "Coworking manager", "username": USERNAME,
                  "password": self.password, "language": self.language},
        ) as response:  # fmt: skip
            response.raise_for_status()
            code = (await response.json())["auth_code"]
        self.access_token = await self.token(session, code)
        headers = self.auth
        for step, body in (
            ("analytics", {}),
            ("integration", {"client_id": CLIENT_ID, "redirect_uri": CLIENT_ID}),
        ):
            async with session.post(
                f"{self.ha_url}/api/onboarding/{step}", json=body, headers=headers
            ) as response:
                response.raise_for_status()

    async def token(self, session: aiohttp.ClientSession, code: str) -> str:
        async with session.post(
            f"{self.ha_url}/auth/token",
            data={"grant_type": "authorization_code", "code": code, "client_id": CLIENT_ID},
        ) as response:
            response.raise_for_status()
            return str((await response.json())["access_token"])

    async def login(self, session: aiohttp.ClientSession) -> str:
        """The login flow the frontend uses, with the saved password."""
        async with session.post(
            f"{self.ha_url}/auth/login_flow",
            json={"client_id": CLIENT_ID, "handler": ["homeassistant", None],
                  "redirect_uri": CLIENT_ID},
        ) as response:  # fmt: skip
            flow = await response.json()
        async with session.post(
            f"{self.ha_url}/auth/login_flow/{flow['flow_id']}",
            json={"client_id": CLIENT_ID, "username": USERNAME, "password": self.password},
        ) as response:
            result = await response.json()
        if result.get("type") != "create_entry":
            raise DemoError(f"cannot log in to Home Assistant as {USERNAME}: {result}")
        return await self.token(session, result["result"])

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    async def add_integration(self, session: aiohttp.ClientSession) -> None:
        """The integration's real config flow, with the agent's address and token.

        On a later run the flow aborts as already configured, after updating the entry with
        this run's address: that is the flow's own behaviour for a strip that moved.
        """
        token = (self.agent_dir / "token").read_text().strip()
        async with session.post(
            f"{self.ha_url}/api/config/config_entries/flow",
            json={"handler": DOMAIN, "show_advanced_options": False},
            headers=self.auth,
        ) as response:
            flow = await response.json()
        async with session.post(
            f"{self.ha_url}/api/config/config_entries/flow/{flow['flow_id']}",
            json={"host": "127.0.0.1", "port": self.agent_port, "token": token},
            headers=self.auth,
        ) as response:
            result = await response.json()
        if result.get("type") == "abort" and result.get("reason") == "already_configured":
            return
        if result.get("type") != "create_entry":
            raise DemoError(f"the SmartMulti config flow did not create an entry: {result}")

    async def add_users(self, session: aiohttp.ClientSession, ws: Websocket) -> int:
        """The simulated coworkers as users, through the "Add user" subentry flow.

        Their laptops' reporters send their names, so sessions open by themselves and the
        Users view fills in; a small daily limit shows the progress bars and limit events.
        """
        deadline = time.monotonic() + 60
        billing: dict[str, Any] | None = None
        while billing is None and time.monotonic() < deadline:
            entries = await ws.call("config_entries/get", domain=DOMAIN)
            billing = next(
                (e for e in entries if "user" in (e.get("supported_subentry_types") or {})),
                None,
            )
            if billing is None:
                await asyncio.sleep(0.5)
        if billing is None:
            raise DemoError("the Users and billing entry was not created with the strip")
        existing = await self.user_names(ws)
        for name in OWNERS:
            if name not in existing:
                await self.add_user(session, billing["entry_id"], name)
        result = await set_demo_price(session, self.ha_url, self.auth, billing["entry_id"])
        if result.get("type") != "create_entry":
            raise DemoError(f"the demo price was refused: {result}")
        return len(OWNERS)

    async def add_user(
        self, session: aiohttp.ClientSession, billing_entry_id: str, name: str
    ) -> None:
        """One user, through the "Add user" flow the UI runs (a daily limit of 0.3 kWh)."""
        async with session.post(
            f"{self.ha_url}/api/config/config_entries/subentries/flow",
            json={"handler": [billing_entry_id, "user"]},
            headers=self.auth,
        ) as response:
            flow = await response.json()
        async with session.post(
            f"{self.ha_url}/api/config/config_entries/subentries/flow/{flow['flow_id']}",
            json={"name": name, "limit": 0.3, "limit_period": "day"},
            headers=self.auth,
        ) as response:
            result = await response.json()
        if result.get("type") != "create_entry":
            raise DemoError(f"cannot add the user {name}: {result}")

    async def user_names(self, ws: Websocket) -> set[str]:
        """The users of the Users and billing entry (none before it exists)."""
        for entry in await ws.call("config_entries/get", domain=DOMAIN):
            if "user" in (entry.get("supported_subentry_types") or {}):
                subentries = await ws.call(
                    "config_entries/subentries/list", entry_id=entry["entry_id"]
                )
                return {subentry["title"] for subentry in subentries}
        return set()

    async def follow_users(self, stop: threading.Event, every_s: float = 5) -> None:
        """Rebuild the dashboards whenever users are added or removed, until ``stop``.

        A manager adds users in the UI while the demo runs: the Users view shows them at once,
        as it shows those the demo added.
        """
        async with aiohttp.ClientSession() as session:
            ws = await self.websocket(session)
            try:
                known = await self.user_names(ws)
                while not stop.is_set():
                    await asyncio.sleep(every_s)
                    self.check_alive()
                    if (users := await self.user_names(ws)) != known:
                        entities = await self.wait_for_entities(ws, 60)
                        await install_dashboards(ws, entities, self.language, first_time=False)
                        known = users
            finally:
                await ws.close()

    async def set_profile_language(self, ws: Websocket) -> None:
        """The manager's profile in the demo's language, as its Language setting saves it: the
        frontend (menus, forms, entity states) follows the profile, else the browser's language.
        A language the manager chose since is kept."""
        if (await ws.call("frontend/get_user_data", key="language")).get("value"):
            return
        await ws.call(
            "frontend/set_user_data",
            key="language",
            value={"language": self.language, "number_format": "language",
                   "time_format": "language", "date_format": "language"},
        )  # fmt: skip

    async def websocket(self, session: aiohttp.ClientSession) -> Websocket:
        socket_ = await session.ws_connect(f"{self.ha_url}/api/websocket")
        await socket_.receive_json()
        await socket_.send_json({"type": "auth", "access_token": self.access_token})
        if (await socket_.receive_json()).get("type") != "auth_ok":
            raise DemoError("Home Assistant refused the demo's access token")
        return Websocket(socket_)

    async def wait_for_entities(self, ws: Websocket, within_s: float) -> list[dict[str, Any]]:
        """The integration's entities once the entry is loaded and they have states."""
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            self.check_alive()
            entries = await ws.call("config_entries/get", domain=DOMAIN)
            if entries and entries[0]["state"] == "loaded":
                registry = await ws.call("config/entity_registry/list")
                ours = [e for e in registry if e["platform"] == DOMAIN]
                states = {s["entity_id"]: s for s in await ws.call("get_states")}
                live = [e for e in ours if e["entity_id"] in states]
                if live and all(states[e["entity_id"]]["state"] != "unavailable" for e in live):
                    return live
            await asyncio.sleep(1)
        raise DemoError(
            f"the SmartMulti entry did not load with its entities within {within_s:.0f} s"
        )


class Websocket:
    def __init__(self, socket_: aiohttp.ClientWebSocketResponse) -> None:
        self.socket = socket_
        self.next_id = 1

    async def call(self, kind: str, **data: Any) -> Any:
        message_id = self.next_id
        self.next_id += 1
        await self.socket.send_json({"id": message_id, "type": kind, **data})
        while True:
            reply = await self.socket.receive_json(timeout=30)
            if reply.get("id") == message_id:
                break
        if not reply.get("success"):
            raise DemoError(f"{kind} failed: {reply.get('error')}")
        return reply.get("result")

    async def close(self) -> None:
        await self.socket.close()


async def prepare(demo: Demo) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Start both programs and set Home Assistant up; return the entities and a summary."""
    demo.start_agent()
    demo.start_home_assistant()
    async with aiohttp.ClientSession() as session:
        await demo.wait_for(session, f"http://127.0.0.1:{demo.agent_port}/api/v1/info", 60)
        await demo.wait_for(session, f"{demo.ha_url}/manifest.json", 240)
        await demo.onboard(session)
        await demo.add_integration(session)
        ws = await demo.websocket(session)
        try:
            await demo.set_profile_language(ws)
            await demo.wait_for_entities(ws, 120)
            await demo.add_users(session, ws)
            entities = await demo.wait_for_entities(ws, 120)
            summary = await install_dashboards(ws, entities, demo.language)
            await install_opening_hours(session, demo.ha_url, demo.auth, ws)
            strip_device = next(
                e["device_id"] for e in entities if e["unique_id"].endswith("_total_power")
            )
            summary["automations"] = await install_automations(
                session, demo.ha_url, demo.auth, strip_device
            )
            # Weeks of simulated days, so charts and personal pages have a past (demo only).
            summary.update(await import_history(ws, entities, demo.seed))
            link = await ws.call(
                "call_service", domain=DOMAIN, service="get_user_link",
                service_data={"user": OWNERS[0]}, return_response=True,
            )  # fmt: skip
            summary["personal_link"] = f"{demo.ha_url}{link['response']['url']}"
        finally:
            await ws.close()
    return entities, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/demo", description=__doc__)
    parser.add_argument("--check", action="store_true", help="start, verify, stop, exit 0/1")
    parser.add_argument("--speed", type=float, default=1.0, help="simulated time acceleration")
    parser.add_argument("--seed", type=int, default=1, help="simulated coworking day")
    parser.add_argument("--host", default="0.0.0.0", help="Home Assistant listen address")
    parser.add_argument("--fresh", action="store_true", help="forget the previous demo's state")
    parser.add_argument(
        "--language", choices=("en", "fr"), default="en", help="Home Assistant's language"
    )
    parser.add_argument("--dir", type=Path, default=REPO / ".demo", help="demo state directory")
    args = parser.parse_args(argv)
    if args.fresh and args.dir.exists():
        shutil.rmtree(args.dir)
    args.dir.mkdir(parents=True, exist_ok=True)
    demo = Demo(
        args.dir, "127.0.0.1" if args.check else args.host, args.speed, args.seed, args.language
    )
    stop = threading.Event()
    try:
        entities, summary = asyncio.run(prepare(demo))
        if args.check:
            if reports := demo.reports():
                print("demo failed: Home Assistant reported the integration:", file=sys.stderr)
                print("\n".join(reports), file=sys.stderr)
                return 1
            print(
                f"demo ok: SmartMulti loaded in Home Assistant {demo.ha_url} with "
                f"{len(entities)} entities on {summary['outlets']} outlets, "
                f"{summary['energy_sensors']} energy sensors on the Energy dashboard, "
                f"{summary['automations']} automations from the blueprints, "
                f"dashboard /{summary['dashboard']}"
            )
            return 0
        print(
            f"\nSmartMulti demo is running.\n"
            f"  Home Assistant: {demo.ha_url}/{summary.get('dashboard', '')}\n"
            f"  user: {USERNAME}   password: {demo.password}\n"
            f"  {OWNERS[0]}'s personal page: {summary.get('personal_link', '')}\n"
            f"  agent API: http://127.0.0.1:{demo.agent_port}/api/v1/info "
            f"(token in {demo.agent_dir / 'token'})\n"
            f"  logs: {demo.root}\nPress Ctrl-C to stop.\n",
            flush=True,
        )
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        asyncio.run(demo.follow_users(stop))
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
    except DemoError as err:
        print(f"demo failed: {err}", file=sys.stderr)
        return 1
    finally:
        demo.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
