"""``smartmulti-reporter``: run on a laptop, report its battery to the strip it charges on."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
import getpass
import logging
import os
from pathlib import Path
import signal
import sys
import threading
from types import FrameType

from smartmulti_reporter import __version__
from smartmulti_reporter.battery import BatterySource, psutil_battery
from smartmulti_reporter.client import AgentClient, link_secret, normalise_url
from smartmulti_reporter.reporter import Reporter, ReporterError, Settings

_LOGGER = logging.getLogger("smartmulti_reporter")

EXIT_USAGE = 2
EXIT_NO_BATTERY = 3
EXIT_REFUSED = 4
MAX_INTERVAL_S = 60.0  # the agent forgets a reporter silent for 2 minutes


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smartmulti-reporter",
        description="Report this laptop's battery to the SmartMulti strip it charges on. "
        "Without --outlet the strip finds the outlet by flipping a few relays for a few "
        "seconds (automatic pairing).",
    )
    parser.add_argument(
        "--agent",
        default=os.environ.get("SMARTMULTI_AGENT"),
        help="the strip's address, e.g. http://192.168.1.20:8450 (env SMARTMULTI_AGENT)",
    )
    token = parser.add_mutually_exclusive_group()
    token.add_argument(
        "--token", help="the strip's reporter token (env SMARTMULTI_TOKEN; prefer --token-file)"
    )
    token.add_argument(
        "--token-file",
        type=Path,
        help="file holding the reporter token (env SMARTMULTI_TOKEN_FILE)",
    )
    parser.add_argument(
        "--outlet",
        type=int,
        help="the outlet number, if known (1-16); the token is then the credential the manager "
        "issued for that outlet (POST /api/v1/outlets/N/credential), not the shared one",
    )
    parser.add_argument(
        "--user", default=None, help="name shown for this laptop's outlet (default: login name)"
    )
    link = parser.add_mutually_exclusive_group()
    link.add_argument(
        "--link",
        help="your personal link (env SMARTMULTI_LINK; prefer --link-file): proves this laptop "
        "is yours, so its charging is billed to you; without it the outlet shows --user but "
        "bills nobody",
    )
    link.add_argument(
        "--link-file", type=Path, help="file holding your personal link (env SMARTMULTI_LINK_FILE)"
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=30.0,
        help=f"seconds between reports (5-{MAX_INTERVAL_S:g}, default 30); a change of "
        "plugged state is reported at once",
    )
    parser.add_argument(
        "--poll", type=float, default=1.0, help="seconds between battery reads (default 1)"
    )
    parser.add_argument(
        "--log-file", type=Path, help="append the log to this file instead of stderr"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every step")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def _settings(parser: argparse.ArgumentParser, args: argparse.Namespace) -> tuple[str, Settings]:
    if not args.agent:
        parser.error("--agent is required (or set SMARTMULTI_AGENT)")
    try:
        normalise_url(args.agent)
    except ValueError as err:
        parser.error(f"--agent: {err}")
    token = _token(parser, args)
    if args.outlet is not None and not 1 <= args.outlet <= 16:
        parser.error("--outlet must be between 1 and 16")
    if not 5 <= args.interval <= MAX_INTERVAL_S:
        parser.error(f"--interval must be between 5 and {MAX_INTERVAL_S:g} seconds")
    if not 0.1 <= args.poll <= args.interval:
        parser.error("--poll must be at least 0.1 s and at most --interval")
    user = args.user if args.user is not None else _login_name()
    if user is not None and (not user.strip() or len(user) > 64 or not user.isprintable()):
        parser.error("--user must be 1 to 64 printable characters")
    link = _link(parser, args)
    secret = None
    if link:
        try:
            secret = link_secret(link)
        except ValueError as err:
            parser.error(f"--link: {err}")
    return token, Settings(
        user=user,
        outlet=args.outlet,
        interval_s=args.interval,
        poll_s=args.poll,
        link_secret=secret,
    )


def _token(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str:
    """--token, --token-file, then SMARTMULTI_TOKEN, then SMARTMULTI_TOKEN_FILE."""
    token = _secret(parser, args.token, args.token_file, option="token")
    if not token:
        parser.error("a token is required: --token-file, --token or SMARTMULTI_TOKEN")
    if not (token.isascii() and token.isprintable()) or any(c.isspace() for c in token):
        # Not shown: it may be the token with a typo, and the error may land in a shared log.
        parser.error(
            "the token holds spaces, line breaks or non-ASCII characters, which no token "
            "has: copy it again"
        )
    return token


def _link(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str | None:
    """--link, --link-file, then SMARTMULTI_LINK, then SMARTMULTI_LINK_FILE (None: no link)."""
    return _secret(parser, args.link, args.link_file, option="link")


def _secret(
    parser: argparse.ArgumentParser, value: str | None, path: Path | None, *, option: str
) -> str | None:
    """``--OPTION`` or ``--OPTION-file``, else the environment's SMARTMULTI_OPTION or
    SMARTMULTI_OPTION_FILE: a file keeps a secret out of the process list."""
    env = f"SMARTMULTI_{option.upper()}"
    if value is None and path is None:
        value = os.environ.get(env)
        if not value and os.environ.get(f"{env}_FILE"):
            path = Path(os.environ[f"{env}_FILE"])
    if not value and path is not None:
        try:
            value = path.read_text(encoding="utf-8").strip()
        except OSError as err:
            parser.error(f"--{option}-file: {err.strerror}: {path}")
        except UnicodeDecodeError:
            parser.error(f"--{option}-file: not text (UTF-8): {path}")
    return value or None


def _login_name() -> str | None:
    try:
        return getpass.getuser()[:64] or None
    except (OSError, KeyError, ImportError):
        return None


def _stop_on_sigterm() -> None:
    """A service manager's stop ends the reporter like Ctrl-C does (pairing cancelled)."""

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, interrupt)


def main(argv: Sequence[str] | None = None, *, source: BatterySource | None = None) -> int:
    """Run until Ctrl-C or SIGTERM; ``source`` replaces psutil (tests, the demo)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    token, settings = _settings(parser, args)
    handler: logging.Handler = logging.StreamHandler()
    if args.log_file is not None:
        try:
            handler = logging.FileHandler(args.log_file)
        except OSError as err:
            parser.error(f"--log-file: {err.strerror}: {args.log_file}")
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        handlers=[handler],
    )
    read = source or psutil_battery
    try:
        first = read()
    except Exception as err:  # whatever the OS's battery driver raises
        print(f"smartmulti-reporter: the battery cannot be read: {err}", file=sys.stderr)
        return EXIT_NO_BATTERY
    if first is None:
        print(
            "smartmulti-reporter: no battery found on this computer (psutil reports none); "
            "the reporter is meant for laptops",
            file=sys.stderr,
        )
        return EXIT_NO_BATTERY
    reporter = Reporter(AgentClient(args.agent, token), read, settings)
    _stop_on_sigterm()
    _LOGGER.info(
        "Reporting to %s as %s (%s), %s",
        normalise_url(args.agent),
        settings.user or "(no name)",
        "proved by your personal link"
        if settings.link_secret
        else "no --link: the outlet shows this name but bills nobody",
        f"outlet {settings.outlet}" if settings.outlet else "outlet found by pairing",
    )
    try:
        reporter.run()
    except KeyboardInterrupt:
        _LOGGER.info("Stopped")
    except ReporterError as err:
        print(f"smartmulti-reporter: {err}", file=sys.stderr)
        return EXIT_REFUSED
    return 0
