"""The agent's configuration: one TOML file for a real strip, derived from the fleet in simulation.

A wrong configuration must stop the agent before it touches a relay, with a message that names
the field and says what is wrong, because whoever reads it is standing next to the wiring.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
import re
import sys
import tomllib
from typing import Any, Literal

import voluptuous as vol

from pi_agent.validators import NAME, boolean, integer, is_unknown_key, number, text

# A single wall socket or circuit: 16 A at 230 V is 3680 W; 32 A circuits exist (7360 W).
MAX_STRIP_W = 7400.0
MAX_OUTLETS = 16
INA219_ADDRESSES = range(0x40, 0x50)
BCM_PINS = range(28)
#: The pins of the I2C buses on the Pi's header (BCM numbers, SDA then SCL): a relay driven
#: from one would corrupt every transfer of the meters on that bus.
I2C_PINS = {0: (0, 1), 1: (2, 3)}

SafeState = Literal["off", "exceptions_on"]


class ConfigError(ValueError):
    """The configuration cannot be used; the message names the field."""


@dataclass(frozen=True, slots=True)
class MeterConfig:
    """How an outlet is metered. ``ina219`` meters DC outputs; ``none`` counts it at max."""

    type: Literal["ina219", "none"] = "none"
    bus: int = 1
    address: int = 0x40
    shunt_ohms: float = 0.1
    max_current_a: float = 3.2


@dataclass(frozen=True, slots=True)
class OutletConfig:
    id: int
    name: str
    max_power_w: float
    exception: bool = False
    gpio: int | None = None
    meter: MeterConfig = field(default_factory=MeterConfig)


@dataclass(frozen=True, slots=True)
class StripConfig:
    name: str = "SmartMulti"
    serial: str | None = None
    hard_limit_w: float = 2300.0
    hold_s: float = 1.0
    failsafe_budget_w: float = 600.0
    failsafe_rotation_s: float = 300.0
    min_on_s: float = 60.0
    min_off_s: float = 30.0
    stagger_s: float = 0.5
    settle_s: float = 2.0
    sample_hz: float = 5.0
    persist_interval_s: float = 10.0
    safe_state: SafeState = "off"
    relay_active_high: bool = False

    @property
    def sample_period_s(self) -> float:
        return 1.0 / self.sample_hz


@dataclass(frozen=True, slots=True)
class AgentConfig:
    strip: StripConfig
    outlets: tuple[OutletConfig, ...]

    def outlet(self, outlet_id: int) -> OutletConfig:
        return self.outlets[outlet_id - 1]


_STRIP_SCHEMA = vol.Schema(
    {
        vol.Optional("name"): NAME,
        vol.Optional("serial"): text(64),
        vol.Optional("hard_limit_w"): number(0, MAX_STRIP_W, min_included=False),
        vol.Optional("hold_s"): number(0, 60),
        vol.Optional("failsafe_budget_w"): number(0, MAX_STRIP_W, min_included=False),
        vol.Optional("failsafe_rotation_s"): number(10, 86400),
        vol.Optional("min_on_s"): number(0, 3600),
        vol.Optional("min_off_s"): number(0, 3600),
        vol.Optional("stagger_s"): number(0, 10),
        vol.Optional("settle_s"): number(0, 60),
        vol.Optional("sample_hz"): number(0.5, 50),
        vol.Optional("persist_interval_s"): number(1, 300),
        vol.Optional("safe_state"): vol.In(["off", "exceptions_on"]),
        vol.Optional("relay_active_high"): boolean,
    }
)

_METER_SCHEMAS = {
    "none": vol.Schema({vol.Required("type"): "none"}),
    "ina219": vol.Schema(
        {
            vol.Required("type"): "ina219",
            vol.Optional("bus"): integer(0, 31),
            vol.Required("address"): integer(INA219_ADDRESSES.start, INA219_ADDRESSES.stop - 1),
            vol.Required("shunt_ohms"): number(0.0001, 10, min_included=False),
            vol.Required("max_current_a"): number(0, 30, min_included=False),
        }
    ),
}


def _meter(value: Any) -> dict[str, Any]:
    """Dispatch on ``type`` so an error names the field of the chosen meter, not all of them."""
    if not isinstance(value, dict):
        raise vol.Invalid("expected a table")
    kind = value.get("type")
    if kind not in _METER_SCHEMAS:
        raise vol.Invalid(f"expected one of {sorted(_METER_SCHEMAS)}", path=["type"])
    result: dict[str, Any] = _METER_SCHEMAS[kind](value)
    return result


_OUTLET_SCHEMA = vol.Schema(
    {
        vol.Optional("name"): NAME,
        vol.Required("max_power_w"): number(0, MAX_STRIP_W, min_included=False),
        vol.Optional("exception"): boolean,
        vol.Optional("gpio"): integer(BCM_PINS.start, BCM_PINS.stop - 1),
        vol.Optional("meter"): _meter,
    }
)

_FILE_SCHEMA = vol.Schema(
    {
        vol.Optional("strip"): _STRIP_SCHEMA,
        vol.Optional("outlets"): vol.All(
            [_OUTLET_SCHEMA], vol.Length(min=1, max=MAX_OUTLETS, msg="expected 1 to 16 outlets")
        ),
    }
)


def _describe(path: list[Any]) -> str:
    """``['outlets', 2, 'meter', 'address']`` → ``outlets[3].meter.address`` (outlets count from 1)."""
    text = ""
    for part in path:
        text += f"[{part + 1}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or "(file)"


def parse_config(data: Mapping[str, Any], *, require_outlets: bool = True) -> AgentConfig:
    """Validate a decoded configuration file; raise ``ConfigError`` naming the first bad field."""
    try:
        clean = _FILE_SCHEMA(dict(data))
    except vol.MultipleInvalid as err:
        first = min(err.errors, key=lambda e: [str(p) for p in e.path])
        message = "unknown key (check its spelling)" if is_unknown_key(first) else first.msg
        raise ConfigError(f"{_describe(first.path)}: {message}") from None
    strip = StripConfig(**clean.get("strip", {}))
    if strip.failsafe_budget_w > strip.hard_limit_w:
        raise ConfigError(
            f"strip.failsafe_budget_w: must not exceed strip.hard_limit_w ({strip.hard_limit_w:g})"
        )
    raw_outlets = clean.get("outlets")
    if raw_outlets is None:
        if require_outlets:
            raise ConfigError("outlets: at least one [[outlets]] table is required")
        return AgentConfig(strip=strip, outlets=())
    outlets = tuple(
        OutletConfig(
            id=index,
            name=raw.get("name", f"Outlet {index}"),
            max_power_w=raw["max_power_w"],
            exception=raw.get("exception", False),
            gpio=raw.get("gpio"),
            meter=MeterConfig(**raw.get("meter", {"type": "none"})),
        )
        for index, raw in enumerate(raw_outlets, start=1)
    )
    _check_outlets(strip, outlets)
    return AgentConfig(strip=strip, outlets=outlets)


def _check_outlets(strip: StripConfig, outlets: tuple[OutletConfig, ...]) -> None:
    pins: dict[int, int] = {}
    addresses: dict[tuple[int, int], int] = {}
    i2c_pins = _i2c_pins_in_use(outlets)
    for outlet in outlets:
        where = f"outlets[{outlet.id}]"
        if outlet.max_power_w > strip.hard_limit_w:
            raise ConfigError(
                f"{where}.max_power_w: {outlet.max_power_w:g} W exceeds the strip's "
                f"hard_limit_w ({strip.hard_limit_w:g} W)"
            )
        if outlet.gpio is not None:
            if outlet.gpio in pins:
                raise ConfigError(
                    f"{where}.gpio: pin {outlet.gpio} is already used by outlets[{pins[outlet.gpio]}]"
                )
            if outlet.gpio in i2c_pins:
                bus, line, meter_outlet = i2c_pins[outlet.gpio]
                raise ConfigError(
                    f"{where}.gpio: pin {outlet.gpio} is I2C bus {bus}'s {line} line, which the "
                    f"INA219 of outlets[{meter_outlet}] uses: wire this relay to another pin"
                )
            pins[outlet.gpio] = outlet.id
        if outlet.meter.type == "ina219":
            key = (outlet.meter.bus, outlet.meter.address)
            if key in addresses:
                raise ConfigError(
                    f"{where}.meter.address: 0x{key[1]:02x} on bus {key[0]} is already used by "
                    f"outlets[{addresses[key]}]"
                )
            addresses[key] = outlet.id
    exceptions_w = sum(o.max_power_w for o in outlets if o.exception)
    if exceptions_w > strip.hard_limit_w:
        last = max(o.id for o in outlets if o.exception)
        raise ConfigError(
            f"outlets[{last}].exception: exception outlets are always on and may draw "
            f"{exceptions_w:g} W together, more than the strip's hard_limit_w "
            f"({strip.hard_limit_w:g} W)"
        )


def _i2c_pins_in_use(outlets: tuple[OutletConfig, ...]) -> dict[int, tuple[int, str, int]]:
    """Pin → (bus, line, first outlet whose meter uses that bus), for the header's I2C buses."""
    in_use: dict[int, tuple[int, str, int]] = {}
    for outlet in outlets:
        bus = outlet.meter.bus
        if outlet.meter.type != "ina219" or bus not in I2C_PINS:
            continue
        sda, scl = I2C_PINS[bus]
        in_use.setdefault(sda, (bus, "SDA", outlet.id))
        in_use.setdefault(scl, (bus, "SCL", outlet.id))
    return in_use


def load_config(path: Path, *, require_outlets: bool = True) -> AgentConfig:
    """Read and validate a TOML file; every failure becomes a ``ConfigError`` naming the file."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except OSError as err:
        raise ConfigError(f"{path}: cannot read: {err.strerror}") from None
    try:
        return parse_config(_decode_toml(raw), require_outlets=require_outlets)
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from None


_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_LONG_INTEGER = re.compile(rf"[0-9][0-9_]{{{sys.get_int_max_str_digits()},}}")


def _decode_toml(raw: bytes) -> dict[str, Any]:
    """The file's TOML, or a ``ConfigError`` saying what to fix.

    Editors on Windows save UTF-8 with a byte-order mark, which TOML does not allow: it is
    skipped. Any other encoding is refused, naming the line, since guessing one could turn a
    name into something else.
    """
    if raw.startswith(_UTF16_BOMS):
        raise ConfigError(
            "not UTF-8 text: it starts with a UTF-16 byte-order mark; save it as UTF-8"
        )
    try:
        text = raw.removeprefix(_UTF8_BOM).decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ConfigError(
            f"not UTF-8 text: line {line} holds byte 0x{raw[err.start]:02x}; save the file as UTF-8"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"not valid TOML: {err}") from None
    except ValueError:
        # Python reads no integer longer than sys.get_int_max_str_digits() (4300) digits.
        found = _LONG_INTEGER.search(text)
        where = ""
        if found is not None:
            line = text.count("\n", 0, found.start()) + 1
            where = f"line {line}: "
        raise ConfigError(
            f"{where}an integer of more than {sys.get_int_max_str_digits()} digits: no setting "
            "takes a number that long"
        ) from None


def with_outlets(config: AgentConfig, outlets: tuple[OutletConfig, ...]) -> AgentConfig:
    """The same strip settings with another set of outlets (simulation derives its own)."""
    _check_outlets(config.strip, outlets)
    return replace(config, outlets=outlets)
