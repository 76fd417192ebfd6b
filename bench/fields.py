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
    below: float | None = None,
) -> float:
    """A finite JSON number within bounds (``above``, ``below``: strictly)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError(f"{where}: expected a number, got {_shown(value)}")
    try:
        read = float(value)
    except OverflowError:  # a JSON whole number with hundreds of digits
        read = math.inf
    if not math.isfinite(read):
        raise ScenarioError(f"{where}: expected a number, got {_shown(value)}")
    if (low is not None and read < low) or (high is not None and read > high):
        wanted = (
            f"{low}..{high}"
            if low is not None and high is not None
            else f"at least {low}"
            if low is not None
            else f"at most {high}"
        )
        raise ScenarioError(f"{where}: expected {wanted}, got {_shown(value)}")
    if above is not None and read <= above:
        raise ScenarioError(f"{where}: expected more than {above}, got {_shown(value)}")
    if below is not None and read >= below:
        raise ScenarioError(f"{where}: expected less than {below}, got {_shown(value)}")
    return read


def _shown(value: object) -> str:
    """``value`` as an error message quotes it, cut short when a file holds a huge one."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:20]}... ({len(text)} characters)"


def whole(where: str, value: object, *, low: int = 0, high: int | None = None) -> int:
    """A whole JSON number (``1800`` or ``1800.0``) within bounds."""
    read = number(where, value, low=low, high=high)
    if read != int(read):
        raise ScenarioError(f"{where}: expected a whole number, got {_shown(value)}")
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


def schedule(
    where: str, value: object, *, high: float | None = None
) -> tuple[tuple[int, float], ...]:
    """A constant number of watts, or ``[[from_s, watts], ...]`` (sorted here), each
    ``from_s`` once: of two values from the same second, neither says which holds."""
    if not isinstance(value, list):
        return ((0, _watts(where, value, high)),)
    if not value:
        raise ScenarioError(f"{where}: expected at least one [from_s, watts] pair")
    pairs = []
    for i, pair in enumerate(value):
        if not isinstance(pair, list) or len(pair) != 2:
            raise ScenarioError(f"{where}[{i}]: expected [from_s, watts], got {pair!r}")
        pairs.append(
            (
                whole(f"{where}[{i}][0]", pair[0]),
                _watts(f"{where}[{i}][1]", pair[1], high),
            )
        )
    starts: set[int] = set()
    for start, _ in pairs:
        if start in starts:
            raise ScenarioError(f"{where}: two entries from {start} s; one value per from_s")
        starts.add(start)
    return tuple(sorted(pairs))


def _watts(where: str, value: object, high: float | None) -> float:
    """A schedule's watts: at least 0, then at most ``high``, each said on its own."""
    watts = number(where, value, low=0)
    if high is not None and watts > high:
        raise ScenarioError(f"{where}: expected at most {high}, got {_shown(value)}")
    return watts


def load_file[T](path: Path, read: Callable[[object, str], T]) -> T:
    """``read(data, name)`` on the JSON file at ``path``, named by its stem when it says no
    name; any error names the file."""
    try:
        # Bytes, so that JSON's own encodings (UTF-8, with or without a byte order mark, or
        # UTF-16/32) are read whatever the machine's locale.
        data = json.loads(path.read_bytes())
    except OSError as err:
        raise ScenarioError(f"{path}: {err.strerror or err}") from err
    except (ValueError, RecursionError) as err:
        # ValueError: malformed JSON, text that is not Unicode, or a whole number longer than
        # Python reads; RecursionError: lists or objects nested thousands deep.
        raise ScenarioError(f"{path}: not JSON ({err})") from err
    try:
        return read(data, path.stem)
    except ScenarioError as err:
        raise ScenarioError(f"{path}: {err}") from err
