"""Strict validators shared by the configuration file and the HTTP API.

Booleans are not numbers and strings are not coerced: a value of the wrong type is a mistake
the person who wrote it should hear about, not something to guess at.
"""

from __future__ import annotations

from collections.abc import Callable
import math
import re
from typing import Any
import unicodedata

import voluptuous as vol


def is_unknown_key(error: vol.Invalid) -> bool:
    """Whether ``error`` refuses a key the schema does not know.

    voluptuous says so only in its message; probatio, which takes voluptuous's name inside a
    Home Assistant process (the agent's tests run in one), raises its own class for it.
    """
    return error.msg == "extra keys not allowed" or type(error).__name__ == "ExtraKeysInvalid"


def _shown(value: float) -> str:
    """A refused number as the message quotes it; a huge integer by its size, since Python
    will not even write one of more than 4300 digits (``sys.get_int_max_str_digits``)."""
    if isinstance(value, int) and abs(value) >= 10**15:
        return f"{'a negative' if value < 0 else 'a'} number of more than 15 digits"
    return f"{value:g}"


def number(minimum: float, maximum: float, *, min_included: bool = True) -> Callable[[Any], float]:
    """A real number in range; booleans and strings are refused, not coerced."""

    def validate(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise vol.Invalid("expected a number")
        # An integer compares exactly with the float bounds, however large (only converting it
        # to a float could overflow), so the range is checked before finiteness.
        if isinstance(value, float) and not math.isfinite(value):
            raise vol.Invalid("expected a finite number")
        if value < minimum or (not min_included and value == minimum) or value > maximum:
            low = f"{'at least' if min_included else 'more than'} {minimum:g}"
            raise vol.Invalid(f"must be {low} and at most {maximum:g} (got {_shown(value)})")
        return float(value)

    return validate


def integer(minimum: int, maximum: int) -> Callable[[Any], int]:
    def validate(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise vol.Invalid("expected an integer")
        if not minimum <= value <= maximum:
            raise vol.Invalid(f"must be between {minimum} and {maximum} (got {_shown(value)})")
        return value

    return validate


#: What ``json_integer`` gives for a literal too long to read: beyond every range of the API,
#: yet short enough to be written in a message.
TOO_LONG_INTEGER = 10**100


def json_integer(literal: str) -> int:
    """``json.loads(..., parse_int=json_integer)``: an integer literal of any length.

    Python refuses to read more than 4300 digits (a bound on the cost of the conversion), and
    its error (advice about ``sys.set_int_max_str_digits``) would reach the client instead of
    the field's range. Such a literal is beyond every range anyway: it stands for
    ``TOO_LONG_INTEGER`` with its sign, which the field's validator then refuses, naming the
    field and its range.
    """
    try:
        return int(literal)
    except ValueError:
        return -TOO_LONG_INTEGER if literal.startswith("-") else TOO_LONG_INTEGER


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise vol.Invalid("expected true or false")
    return value


#: Format characters that spell words: ZERO WIDTH NON-JOINER (Persian, Indic scripts) and
#: ZERO WIDTH JOINER (those scripts, and emoji such as a person at a laptop).
_JOINERS = frozenset("\u200c\u200d")


def _unfit(ch: str) -> str | None:
    """Why a character may not be in a name, or None.

    Home Assistant serialises state with orjson, which refuses a lone surrogate: one in an
    outlet's or user's name would break the integration's state. Control characters and line
    separators break the one-line layout of every place a name is shown; invisible format
    characters (direction overrides, zero-width spaces, byte-order marks) make a name look
    like another one or reorder the text around it.
    """
    category = unicodedata.category(ch)
    if category == "Cs":
        return f"a lone surrogate (U+{ord(ch):04X}), which is not Unicode text"
    if category == "Cc":
        return f"a control character (U+{ord(ch):04X})"
    if category in ("Zl", "Zp"):
        return f"a line or paragraph separator (U+{ord(ch):04X})"
    if category == "Cf" and ch not in _JOINERS:
        name = unicodedata.name(ch, "")
        return f"an invisible format character (U+{ord(ch):04X}{' ' + name if name else ''})"
    return None


def text(max_length: int) -> Callable[[Any], str]:
    """A one-line string of printable Unicode text, stripped of surrounding spaces."""

    def validate(value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise vol.Invalid("expected a non-empty string")
        if len(value) > max_length:
            raise vol.Invalid(f"must be at most {max_length} characters (got {len(value)})")
        for ch in value:
            problem = _unfit(ch)
            if problem is not None:
                raise vol.Invalid(f"must not hold {problem}")
        return value.strip()

    return validate


NAME = text(64)


#: A reporter's proof of its user: the challenge the agent issued for it, a dot, and the HMAC
#: Home Assistant checks (``api/proof_challenges.py``); a bare HMAC is what reporters before
#: challenges send, carried on for the name shown and billed by nobody.
_USER_PROOF = re.compile(r"(?:[0-9a-f]{32}\.)?[0-9a-f]{64}")


def user_proof(value: Any) -> str:
    """A reporter's proof of its user, in lower case; refused when it is none."""
    if not isinstance(value, str) or not _USER_PROOF.fullmatch(value.lower()):
        raise vol.Invalid("must be a challenge (32 hexadecimal digits), a dot and 64 more")
    return value.lower()
