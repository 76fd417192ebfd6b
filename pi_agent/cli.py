"""``smartmulti-agent`` / ``python -m pi_agent``: start the agent on real hardware or in simulation."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Coroutine, Sequence
import logging
import os
from pathlib import Path
import sys
from typing import Any

from pi_agent import __version__
from pi_agent.auth import TokenError, Tokens, load_or_create_token
from pi_agent.config import AgentConfig, ConfigError, load_config
from pi_agent.hardware.base import HardwareError
from pi_agent.hardware.bundle import Hardware
from pi_agent.identity import strip_serial
from pi_agent.runtime import Agent, Identity

_LOGGER = logging.getLogger("pi_agent")
DEFAULT_PORT = 8450
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def default_data_dir() -> Path:
    state_home = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state_home) / "smartmulti"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smartmulti-agent",
        description="SmartMulti strip agent: relays, meters, local guard and HTTP API. "
        "Without --config it runs in simulation (16 outlets, 15 laptops, a lamp).",
    )
    parser.add_argument("--config", type=Path, help="TOML configuration of a real strip")
    parser.add_argument(
        "--simulate",
        action="store_true",
        help="simulated laptops and lamp instead of GPIO/I2C (default without --config)",
    )
    parser.add_argument("--host", default="0.0.0.0", help="address to listen on (default: all)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="TCP port (default 8450)")
    parser.add_argument("--data-dir", type=Path, default=None, help="tokens and state file")
    parser.add_argument("--token-file", type=Path, help="admin token (default DATA_DIR/token)")
    parser.add_argument(
        "--reporter-token-file",
        type=Path,
        help="laptop reporters' token (default DATA_DIR/reporter_token)",
    )
    parser.add_argument("--speed", type=float, default=1.0, help="simulation time acceleration")
    parser.add_argument("--seed", type=int, default=1, help="simulation seed")
    parser.add_argument("--outlets", type=int, default=16, help="simulated outlets (1-16)")
    parser.add_argument(
        "--zeroconf", action="store_true", help="advertise _smartmulti._tcp.local. on the LAN"
    )
    parser.add_argument(
        "--print-token", action="store_true", help="print the admin token (creating it) and exit"
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        type=str.upper,
        choices=LOG_LEVELS,
        help="DEBUG, INFO, WARNING or ERROR, in any case (default INFO)",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def _check_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if not 0 < args.speed <= 10_000:
        parser.error("--speed must be more than 0 and at most 10000")
    if not 1 <= args.outlets <= 16:
        parser.error("--outlets must be between 1 and 16")
    if not 0 <= args.port <= 65535:
        parser.error("--port must be between 0 and 65535")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _check_args(parser, args)
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    data_dir: Path = args.data_dir or default_data_dir()
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        tokens = Tokens(
            admin=load_or_create_token(args.token_file or data_dir / "token"),
            reporter=load_or_create_token(args.reporter_token_file or data_dir / "reporter_token"),
        )
        if args.print_token:
            print(tokens.admin)
            return 0
        agent, background = _build(args, data_dir, tokens)
    except ConfigError as err:
        print(f"smartmulti-agent: invalid configuration: {err}", file=sys.stderr)
        return 2
    except (TokenError, HardwareError) as err:
        print(f"smartmulti-agent: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"smartmulti-agent: {err}", file=sys.stderr)
        return 1
    try:
        asyncio.run(_run(agent, args, background))
    except OSError as err:  # the port is taken, the address does not exist
        print(f"smartmulti-agent: {err}", file=sys.stderr)
        return 1
    return 0


def _build(
    args: argparse.Namespace, data_dir: Path, tokens: Tokens
) -> tuple[Agent, list[Coroutine[Any, Any, None]]]:
    config = load_config(args.config, require_outlets=not args.simulate) if args.config else None
    if args.simulate or config is None:
        from pi_agent.simulation import run_simulated_reporters, simulated  # noqa: PLC0415

        config, hardware, world = simulated(
            config.strip if config else None, seed=args.seed, speed=args.speed, outlets=args.outlets
        )
        agent = _agent(config, hardware, data_dir, tokens, time_scale=world.speed)
        _LOGGER.info(
            "Simulation: %d outlets, seed %d, speed x%g", len(config.outlets), args.seed, args.speed
        )
        return agent, [run_simulated_reporters(world, agent.controller, agent.clock)]
    from pi_agent.hardware.build import build_hardware  # noqa: PLC0415 (needs GPIO and I2C)

    # The file's path starts every message, as it does for the checks of the file itself.
    try:
        hardware = build_hardware(config)
    except ConfigError as err:
        raise ConfigError(f"{args.config}: {err}") from None
    except HardwareError as err:
        raise HardwareError(f"{args.config}: {err}") from None
    return _agent(config, hardware, data_dir, tokens), []


def _agent(
    config: AgentConfig,
    hardware: Hardware,
    data_dir: Path,
    tokens: Tokens,
    *,
    time_scale: float | None = None,
) -> Agent:
    """``time_scale`` is a simulated world's speed; None for real hardware."""
    serial = strip_serial(config.strip.serial, data_dir)
    identity = Identity(
        serial=serial,
        name=config.strip.name,
        simulated=time_scale is not None,
        time_scale=time_scale or 1.0,
    )
    return Agent(config, hardware, identity=identity, tokens=tokens, data_dir=data_dir)


async def _run(
    agent: Agent, args: argparse.Namespace, background: list[Coroutine[Any, Any, None]]
) -> None:
    advertiser = None
    if args.zeroconf:
        from pi_agent.discovery import Advertiser  # noqa: PLC0415

        advertiser = Advertiser()

    async def ready(port: int) -> None:
        if advertiser is not None:
            await advertiser.start(agent.info(), port)

    try:
        await agent.run(args.host, args.port, ready=ready, background=background)
    finally:
        if advertiser is not None:
            await advertiser.stop()
