"""What a name a manager types may hold: users and circuits are told apart by their names, in
the forms, the entities, the coworker's page and the exports."""

from __future__ import annotations

import unicodedata


def unfit_character(ch: str) -> bool:
    """A character a name may not hold: control, format (but the joiners some scripts and
    emoji need), surrogate or line separator. A direction override would make one name look
    like another."""
    return unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Zl", "Zp"} and ch not in "\u200c\u200d"


def has_unfit_character(name: str) -> bool:
    return any(unfit_character(ch) for ch in name)
