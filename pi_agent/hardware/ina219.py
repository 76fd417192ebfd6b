"""INA219 driver on smbus2, from TI's datasheet (SBOS448).

The INA219 measures a 0-26 V bus, so it meters the strip's DC outputs (USB-C PD / DC ports), not
230 V mains. A mains outlet needs an AC energy-metering chip (RMS voltage/current, active power);
it will be another ``Meter`` (see ``base.py``): nothing outside this module assumes DC.

Registers are 16-bit words sent MSB first. They are read with ``read_i2c_block_data(addr, reg, 2)``
because SMBus ``read_word_data`` assumes LSB first and would need a byte swap.
"""

from __future__ import annotations

import logging
import math

from .base import MeterError, Reading
from .i2c import I2CBus

_LOGGER = logging.getLogger(__name__)

REG_CONFIG = 0x00
REG_SHUNT_VOLTAGE = 0x01
REG_BUS_VOLTAGE = 0x02
REG_POWER = 0x03
REG_CURRENT = 0x04
REG_CALIBRATION = 0x05

ADDRESSES = range(0x40, 0x50)
"""The 16 addresses set by the A0/A1 pins: 16 meters per bus."""

SHUNT_LSB_V = 10e-6
BUS_LSB_V = 4e-3
CALIBRATION_SCALE = 0.04096
"""Cal = trunc(0.04096 / (Current_LSB x R_shunt)) (datasheet equation 1)."""

BUS_OVF = 0x0001
"""Math overflow: current or power out of range, data meaningless. (Bit 1, CNVR, is not needed:
continuous mode always holds the latest conversion.)"""

_CURRENT_MAX_COUNT = 0x7FFF  # the signed current register's largest value
_CALIBRATION_MAX = 0xFFFE  # bit 0 of the calibration register is void (always 0)
_BUS_RANGE_32V = 1 << 13
_MODE_SHUNT_AND_BUS_CONTINUOUS = 0b111
_SHUNT_RANGES_V = (0.04, 0.08, 0.16, 0.32)  # PGA /1, /2, /4, /8: config bits 12..11 = index
_AVERAGING_CODES = {  # BADC/SADC codes: 12-bit, N samples averaged
    1: 0b1000,
    2: 0b1001,
    4: 0b1010,
    8: 0b1011,
    16: 0b1100,
    32: 0b1101,
    64: 0b1110,
    128: 0b1111,
}
_FLOAT_SLACK = 1e-9  # 0.1 * 3.2 is 0.32000000000000006: compare with a relative slack


class INA219:
    """One INA219 measuring one outlet; implements ``Meter``.

    Calibration: Current_LSB is the smallest 1-2-5 value (100 uA, 200 uA, 500 uA, 1 mA...) that
    lets the signed current register hold ``max_expected_current_a`` (and keeps Cal within 16
    bits), so readings are round numbers; finer steps would add little, the shunt ADC resolves
    10 uV / R_shunt. The PGA is the smallest shunt range holding R_shunt x max current, for the
    best resolution; beyond it the shunt reading saturates or the current register overflows, and
    both raise ``MeterError`` so the guard counts the outlet at its maximum instead of trusting a low
    reading. The bus range is 32 V (USB-C PD reaches 20 V; the 4 mV LSB is the same in both).
    Each conversion averages ``samples`` 12-bit samples (16: 8.5 ms each for shunt and bus, a
    17 ms cycle, well inside a 200 ms sample period).

    Not thread-safe: one sampler reads each meter. The bus may be shared (``i2c.I2CBusPool``).
    """

    def __init__(
        self,
        bus: I2CBus,
        address: int,
        shunt_ohms: float,
        max_expected_current_a: float,
        *,
        samples: int = 16,
    ) -> None:
        if address not in ADDRESSES:
            raise ValueError(f"INA219 address {address:#04x} is outside 0x40-0x4F")
        if not (math.isfinite(shunt_ohms) and shunt_ohms > 0):
            raise ValueError(f"shunt_ohms must be a positive number, got {shunt_ohms!r}")
        if not (math.isfinite(max_expected_current_a) and max_expected_current_a > 0):
            raise ValueError(
                f"max_expected_current_a must be a positive number, got {max_expected_current_a!r}"
            )
        if samples not in _AVERAGING_CODES:
            raise ValueError(f"samples must be one of {sorted(_AVERAGING_CODES)}, got {samples!r}")
        max_shunt_v = shunt_ohms * max_expected_current_a
        if max_shunt_v > _SHUNT_RANGES_V[-1] * (1 + _FLOAT_SLACK):
            raise ValueError(
                f"shunt_ohms x max_expected_current_a = {max_shunt_v * 1000:.0f} mV exceeds the"
                " INA219's 320 mV shunt range: use a smaller shunt"
            )

        self._bus = bus
        self._address = address
        self._name = f"INA219 {address:#04x}"
        self._shunt_ohms = shunt_ohms

        lsb = _round_up_1_2_5(
            max(
                max_expected_current_a / _CURRENT_MAX_COUNT,
                CALIBRATION_SCALE / (_CALIBRATION_MAX * shunt_ohms),
            )
        )
        # The slack undoes float error (0.04096 / 1e-05 is 4095.9999999999995); bit 0 is void.
        cal = math.floor(CALIBRATION_SCALE / (lsb * shunt_ohms) * (1 + _FLOAT_SLACK)) & ~1
        self._calibration = cal
        # The register's true weight: equal to the round LSB unless trunc() cut a fraction.
        self._current_lsb_a = CALIBRATION_SCALE / (cal * shunt_ohms)

        gain = next(
            i for i, v in enumerate(_SHUNT_RANGES_V) if v * (1 + _FLOAT_SLACK) >= max_shunt_v
        )
        self._shunt_range_v = _SHUNT_RANGES_V[gain]
        self._shunt_full_scale = round(self._shunt_range_v / SHUNT_LSB_V)
        adc = _AVERAGING_CODES[samples]
        self._config = (
            _BUS_RANGE_32V | gain << 11 | adc << 7 | adc << 3 | _MODE_SHUNT_AND_BUS_CONTINUOUS
        )

        self._closed = False
        self._configured = False
        try:
            self._configure()
        except OSError as exc:
            # A chip missing at start (loose wire, power sequencing) must not stop the agent:
            # the outlet shows a meter fault and the meter configures itself once it answers.
            _LOGGER.warning("%s not configured: I2C bus error: %s", self._name, exc)

    @property
    def address(self) -> int:
        return self._address

    @property
    def calibration(self) -> int:
        """The value written to the calibration register (0x05)."""
        return self._calibration

    @property
    def current_lsb_a(self) -> float:
        """Amperes per count of the current register."""
        return self._current_lsb_a

    @property
    def power_lsb_w(self) -> float:
        """Watts per count of the power register: 20 x Current_LSB."""
        return 20 * self._current_lsb_a

    @property
    def shunt_range_v(self) -> float:
        """Full scale of the shunt ADC chosen by the PGA (0.04, 0.08, 0.16 or 0.32 V)."""
        return self._shunt_range_v

    @property
    def config(self) -> int:
        """The value written to the configuration register (0x00)."""
        return self._config

    def read(self) -> Reading:
        """One measurement; raises ``MeterError`` when the chip's data cannot be trusted.

        Power is bus voltage x current computed here rather than the power register: the chip
        derives that register from the same two averaged values, so it carries no more
        information, but it is unsigned with a coarse 20 x Current_LSB step and would cost one
        more transfer per sample.
        """
        if self._closed:
            raise MeterError(f"{self._name} is closed")
        try:
            return self._read()
        except OSError as exc:
            raise MeterError(f"{self._name}: I2C bus error: {exc}") from exc

    def close(self) -> None:
        """Release the bus (a pooled bus closes with its last meter); idempotent."""
        if not self._closed:
            self._closed = True
            self._bus.close()

    def _read(self) -> Reading:
        if not self._configured:
            self._configure()
            raise MeterError(
                f"{self._name}: configured after an earlier bus error; readings resume next sample"
            )
        shunt = _signed(self._read_word(REG_SHUNT_VOLTAGE))
        bus = self._read_word(REG_BUS_VOLTAGE)
        current = _signed(self._read_word(REG_CURRENT))
        # Checked after the data: if it still holds, the data above was computed with it.
        calibration = self._read_word(REG_CALIBRATION)
        if calibration != self._calibration:
            self._configure()
            # The current register only picks up the calibration at the end of the next
            # conversion, so this sample has no valid current; the next one will.
            raise MeterError(
                f"{self._name}: calibration read {calibration:#06x} instead of"
                f" {self._calibration:#06x} (chip reset, e.g. by a load spike);"
                " configuration and calibration rewritten"
            )
        if bus & BUS_OVF:
            raise MeterError(
                f"{self._name}: math overflow (OVF): current or power out of range, data meaningless"
            )
        if abs(shunt) > self._shunt_full_scale:
            # The register has room for a little more (40.95 mV at /1) but the ADC saturates
            # there and the datasheet specifies nothing past the range: the current may be higher.
            raise MeterError(
                f"{self._name}: shunt voltage {shunt * SHUNT_LSB_V * 1000:.2f} mV beyond the"
                f" {self._shunt_range_v * 1000:.0f} mV range: current above the measurable range"
            )
        voltage_v = (bus >> 3) * BUS_LSB_V
        current_a = current * self._current_lsb_a
        return Reading(voltage_v=voltage_v, current_a=current_a, power_w=voltage_v * current_a)

    def _configure(self) -> None:
        self._configured = False
        self._write_word(REG_CONFIG, self._config)
        self._write_word(REG_CALIBRATION, self._calibration)
        self._configured = True

    def _read_word(self, register: int) -> int:
        msb, lsb = self._bus.read_i2c_block_data(self._address, register, 2)
        return msb << 8 | lsb

    def _write_word(self, register: int, value: int) -> None:
        self._bus.write_i2c_block_data(self._address, register, [value >> 8, value & 0xFF])

    def __repr__(self) -> str:
        return (
            f"INA219(address={self._address:#04x}, shunt_ohms={self._shunt_ohms},"
            f" calibration={self._calibration}, current_lsb_a={self._current_lsb_a:.6g})"
        )


def _signed(word: int) -> int:
    return word - 0x10000 if word & 0x8000 else word


def _round_up_1_2_5(value: float) -> float:
    """The smallest of 1, 2, 5 x 10^n that is >= value (within float slack)."""
    exponent = math.floor(math.log10(value))
    for e in (exponent - 1, exponent, exponent + 1):
        for mantissa in (1, 2, 5):
            candidate = float(f"{mantissa}e{e}")  # correctly rounded, unlike m * 10.0**e
            if candidate >= value * (1 - _FLOAT_SLACK):
                return candidate
    raise AssertionError(f"no 1-2-5 value above {value}")  # unreachable: 1e(exponent+1) > value
