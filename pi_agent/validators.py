"""Strict validators shared by the configuration file and the HTTP API.

Booleans are not numbers and strings are not coerced: a value of the wrong type is a mistake
the person who wrote it should hear about, not something to guess at.
"""

from __future__ import annotations

from collections.abc import Callable
import math
from typing import Any

import voluptuous as vol


def is_unknown_key(error: vol.Invalid) -> bool:
    """Whether ``error`` refuses a key the schema does not know.

    voluptuous says so only in its message; probatio, which takes voluptuous's name inside a
    Home Assistant process (the agent's tests run in one), raises its own class for it.
    """
    return error.msg == "extra keys not allowed" or type(error).__name__ == "ExtraKeysInvalid"


def number(minimum: float, maximum: float, *, min_included: bool = True) -> Callable[[Any], float]:
    """A real number in range; booleans and strings are refused, not coerced."""

    def validate(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise vol.Invalid("expected a number")
        if isinstance(value, int) and abs(value) > 2**53:
            raise vol.Invalid(f"must be at most {maximum:g}")
        if not math.isfinite(value):
            raise vol.Invalid("expected a finite number")
        if value < minimum or (not min_included and value == minimum) or value > maximum:
            low = f"{'at least' if min_included else 'more than'} {minimum:g}"
            raise vol.Invalid(f"must be {low} and at most {maximum:g} (got {value:g})")
        return float(value)

    return validate


def integer(minimum: int, maximum: int) -> Callable[[Any], int]:
    def validate(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise vol.Invalid("expected an integer")
        if not minimum <= value <= maximum:
            raise vol.Invalid(f"must be between {minimum} and {maximum} (got {value})")
        return value

    return validate


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise vol.Invalid("expected true or false")
    return value


def text(max_length: int) -> Callable[[Any], str]:
    def validate(value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise vol.Invalid("expected a non-empty string")
        if len(value) > max_length or any(ord(ch) < 32 for ch in value):
            raise vol.Invalid(f"must be at most {max_length} printable characters")
        return value.strip()

    return validate


NAME = text(64)
