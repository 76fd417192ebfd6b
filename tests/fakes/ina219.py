"""A fake I2C bus carrying INA219 chips, modelled on TI's datasheet (SBOS448).

The test sets the physics of each chip (current through the shunt, bus voltage); the registers
follow from it the way the chip computes them, and go on the wire MSB first. Faults are knobs:
``FakeSMBus.fail_next`` (bus errors), ``FakeINA219.force_overflow`` (OVF) and
``FakeINA219.reset`` (a chip reset by a load spike).

Simplification: the chip converts instantly, so registers always reflect the present physics and
the present calibration, and CNVR is always set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
import errno
import os
from typing import Literal

CONFIG = 0x00
SHUNT_VOLTAGE = 0x01
BUS_VOLTAGE = 0x02
POWER = 0x03
CURRENT = 0x04
CALIBRATION = 0x05

POWER_ON_CONFIG = 0x399F
"""32 V bus range, PGA /8 (320 mV), 12-bit, continuous shunt and bus."""

EREMOTEIO = 121
"""Linux's errno when no chip acknowledges the address."""

_CNVR = 0x0002
_OVF = 0x0001
_RESET_BIT = 0x8000


@dataclass(frozen=True, slots=True)
class Transfer:
    """One completed I2C transfer; ``data`` is the bytes in wire order."""

    kind: Literal["read", "write"]
    address: int
    register: int
    data: tuple[int, ...]


class FakeINA219:
    """One chip: set ``current_a`` and ``bus_voltage_v``; the registers are derived from them."""

    def __init__(self, shunt_ohms: float = 0.1) -> None:
        self.shunt_ohms = shunt_ohms
        self.current_a = 0.0
        """Current through the shunt (A), negative when it flows backwards."""
        self.bus_voltage_v = 0.0
        """Voltage on the IN- pin against ground (V)."""
        self.force_overflow = False
        """Set OVF in the bus voltage register whatever the values (data meaningless)."""
        self.config = POWER_ON_CONFIG
        self.calibration = 0
        self.resets = 0
        """How many times the chip was reset (power-on state restored)."""

    def reset(self) -> None:
        """Back to power-on state, as after a supply glitch or the RST bit: cal 0, default config."""
        self.config = POWER_ON_CONFIG
        self.calibration = 0
        self.resets += 1

    # Registers as the chip computes them (signed values; ``read_register`` encodes them).

    @property
    def shunt_register(self) -> int:
        """V_shunt / 10 uV, saturated where the register's data bits end.

        The PGA range is +/-40 mV x 1, 2, 4 or 8 (4000 counts x 1, 2, 4, 8); the register holds
        12 data bits at /1 up to 15 at /8, so the ADC saturates just past it (4095 ... 32767).
        """
        saturation = (4096 << ((self.config >> 11) & 0b11)) - 1
        counts = round(self.current_a * self.shunt_ohms / 10e-6)
        return max(-saturation, min(saturation, counts))

    @property
    def bus_counts(self) -> int:
        """Bus voltage in 4 mV steps (the value in bits 15..3 of the bus register)."""
        return max(0, min(0x1FFF, round(self.bus_voltage_v / 4e-3)))

    @property
    def current_register(self) -> int:
        """Shunt register x calibration / 4096 (datasheet equation 4), saturated at 16 bits."""
        return max(-0x8000, min(0x7FFF, self._current_counts()))

    @property
    def power_register(self) -> int:
        """|Current| x bus counts / 5000 (equation 5): unsigned, saturated at 16 bits."""
        return min(0xFFFF, self._power_counts())

    @property
    def overflow(self) -> bool:
        """OVF: forced, or the current or power out of its register's range."""
        current = self._current_counts()
        return (
            self.force_overflow or not -0x8000 <= current <= 0x7FFF or self._power_counts() > 0xFFFF
        )

    @property
    def bus_register(self) -> int:
        """(bus counts << 3) | CNVR | OVF."""
        return self.bus_counts << 3 | _CNVR | (_OVF if self.overflow else 0)

    def _current_counts(self) -> int:
        return int(self.shunt_register * self.calibration / 4096)

    def _power_counts(self) -> int:
        return int(abs(self._current_counts()) * self.bus_counts / 5000)

    def read_register(self, register: int) -> int:
        """The 16-bit word the chip would send for ``register``."""
        values = {
            CONFIG: self.config,
            SHUNT_VOLTAGE: self.shunt_register,
            BUS_VOLTAGE: self.bus_register,
            POWER: self.power_register,
            CURRENT: self.current_register,
            CALIBRATION: self.calibration,
        }
        if register not in values:
            raise ValueError(f"INA219 has no register {register:#04x}")
        return values[register] & 0xFFFF

    def write_register(self, register: int, value: int) -> None:
        """A write as the chip takes it: read-only registers ignore it, cal bit 0 is void."""
        if register == CONFIG:
            if value & _RESET_BIT:
                self.reset()
            else:
                self.config = value
        elif register == CALIBRATION:
            self.calibration = value & 0xFFFE
        elif register not in (SHUNT_VOLTAGE, BUS_VOLTAGE, POWER, CURRENT):
            raise ValueError(f"INA219 has no register {register:#04x}")


class FakeSMBus:
    """Stands in for ``smbus2.SMBus``: chips by address, a transfer log and injected bus errors."""

    def __init__(self) -> None:
        self.chips: dict[int, FakeINA219] = {}
        self.transfers: list[Transfer] = []
        """Completed transfers, oldest first."""
        self.closed = False
        self._failures: list[int] = []

    def add_ina219(self, address: int, shunt_ohms: float = 0.1) -> FakeINA219:
        """Solder a chip at ``address`` (in its power-on state) and return it."""
        chip = FakeINA219(shunt_ohms)
        self.chips[address] = chip
        return chip

    def fail_next(self, count: int = 1, error: int = errno.EIO) -> None:
        """Make the next ``count`` transfers raise ``OSError(error)`` (EIO: a glitch on the bus)."""
        self._failures.extend([error] * count)

    def read_i2c_block_data(
        self, i2c_addr: int, register: int, length: int, force: bool | None = None
    ) -> list[int]:
        chip = self._transfer(i2c_addr)
        if length != 2:
            raise ValueError(f"INA219 registers are 2 bytes, asked for {length}")
        word = chip.read_register(register)
        data = (word >> 8, word & 0xFF)
        self.transfers.append(Transfer("read", i2c_addr, register, data))
        return list(data)

    def write_i2c_block_data(
        self, i2c_addr: int, register: int, data: Sequence[int], force: bool | None = None
    ) -> None:
        chip = self._transfer(i2c_addr)
        if len(data) != 2:
            raise ValueError(f"INA219 registers are 2 bytes, got {list(data)}")
        chip.write_register(register, data[0] << 8 | data[1])
        self.transfers.append(Transfer("write", i2c_addr, register, tuple(data)))

    def read_word_data(self, i2c_addr: int, register: int, force: bool | None = None) -> int:
        """SMBus word order is LSB first, so this returns the chip's word byte-swapped."""
        msb, lsb = self.read_i2c_block_data(i2c_addr, register, 2)
        return lsb << 8 | msb

    def write_word_data(
        self, i2c_addr: int, register: int, value: int, force: bool | None = None
    ) -> None:
        """SMBus sends the low byte first: the chip receives ``value`` byte-swapped."""
        self.write_i2c_block_data(i2c_addr, register, [value & 0xFF, value >> 8])

    def close(self) -> None:
        self.closed = True

    def _transfer(self, address: int) -> FakeINA219:
        if self.closed:
            raise OSError(errno.EBADF, "I2C bus is closed")
        if self._failures:
            error = self._failures.pop(0)
            raise OSError(error, os.strerror(error))
        if address not in self.chips:
            raise OSError(EREMOTEIO, "Remote I/O error")
        return self.chips[address]
