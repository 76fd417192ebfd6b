"""Reading the bench's JSON inputs (scenario and site files): each value typed and in range,
or a ``ScenarioError`` saying where (``devices[3] (worker3).soc0``) and what was expected."""

from __future__ import annotations

from collections.abc import Callable
import json
import math
from pathlib import Path
from typing import Any


class ScenarioError(ValueError):
    """A scenario that cannot be run, saying where (``devices[3] (worker3).soc0``) and why."""


def number(
    where: str,
    value: object,
    *,
    low: float | None = None,
    high: float | None = None,
    above: float | None = None,
) -> float:
    """A finite JSON number within bounds (``above``: strictly greater)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScenarioError(f"{where}: expected a number, got {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        wanted = (
            f"{low}..{high}"
            if low is not None and high is not None
            else f"at least {low}"
            if low is not None
            else f"at most {high}"
        )
        raise ScenarioError(f"{where}: expected {wanted}, got {value!r}")
    if above is not None and value <= above:
        raise ScenarioError(f"{where}: expected more than {above}, got {value!r}")
    return float(value)


def whole(where: str, value: object, *, low: int = 0, high: int | None = None) -> int:
    """A whole JSON number (``1800`` or ``1800.0``) within bounds."""
    read = number(where, value, low=low, high=high)
    if read != int(read):
        raise ScenarioError(f"{where}: expected a whole number, got {value!r}")
    return int(read)


def flag(where: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ScenarioError(f"{where}: expected true or false, got {value!r}")
    return value


def list_(where: str, value: object) -> list[Any]:
    if not isinstance(value, list):
        raise ScenarioError(f"{where}: expected a list, got {type(value).__name__}")
    return value


def object_(where: str, value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ScenarioError(f"{where}: expected an object, got {type(value).__name__}")
    return value


def schedule(where: str, value: object) -> tuple[tuple[int, float], ...]:
    """A constant number of watts, or ``[[from_s, watts], ...]`` (sorted here)."""
    if not isinstance(value, list):
        return ((0, number(where, value, low=0)),)
    if not value:
        raise ScenarioError(f"{where}: expected at least one [from_s, watts] pair")
    pairs = []
    for i, pair in enumerate(value):
        if not isinstance(pair, list) or len(pair) != 2:
            raise ScenarioError(f"{where}[{i}]: expected [from_s, watts], got {pair!r}")
        pairs.append(
            (whole(f"{where}[{i}][0]", pair[0]), number(f"{where}[{i}][1]", pair[1], low=0))
        )
    return tuple(sorted(pairs))


def load_file[T](path: Path, read: Callable[[object, str], T]) -> T:
    """``read(data, name)`` on the JSON file at ``path``, named by its stem when it says no
    name; any error names the file."""
    try:
        data = json.loads(path.read_text())
    except OSError as err:
        raise ScenarioError(f"{path}: {err.strerror or err}") from err
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ScenarioError(f"{path}: not JSON ({err})") from err
    try:
        return read(data, path.stem)
    except ScenarioError as err:
        raise ScenarioError(f"{path}: {err}") from err
