"""The device identifiers SmartMulti registers: one place, so reading a device back (service
targets, billing lookups) follows the same rule as creating it."""

from __future__ import annotations

from typing import Final

from .const import DOMAIN

USER_IDENTIFIER_PREFIX: Final = "user_"


def strip_device_identifier(serial: str) -> tuple[str, str]:
    return (DOMAIN, serial)


def outlet_identifier_prefix(serial: str) -> str:
    return f"{serial}_outlet_"


def outlet_device_identifier(serial: str, outlet_id: int) -> tuple[str, str]:
    return (DOMAIN, f"{outlet_identifier_prefix(serial)}{outlet_id}")


def circuit_device_identifier(entry_id: str) -> tuple[str, str]:
    return (DOMAIN, f"circuit_{entry_id}")


def user_device_identifier(user_id: str) -> tuple[str, str]:
    return (DOMAIN, f"{USER_IDENTIFIER_PREFIX}{user_id}")
