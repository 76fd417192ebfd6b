"""I2C buses shared by the meters on them.

Sixteen INA219s sit on one bus (addresses 0x40-0x4F), so the bus is opened once and each meter
gets a handle. The handle serialises transfers: smbus2 selects the target chip with an ioctl on
the shared file descriptor and then transfers, so two threads reading two chips could otherwise
send one chip's transfer to the other's address.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
import threading
from typing import Protocol

from smbus2 import SMBus


class I2CBus(Protocol):
    """The part of ``smbus2.SMBus`` the drivers use (fakes implement the same)."""

    def read_i2c_block_data(self, i2c_addr: int, register: int, length: int, /) -> list[int]: ...

    def write_i2c_block_data(
        self, i2c_addr: int, register: int, data: Sequence[int], /
    ) -> None: ...

    def close(self) -> None: ...


def _open_smbus(number: int) -> I2CBus:
    return SMBus(number)


class SharedBus:
    """One user's handle on a pooled bus; ``close`` gives the handle back (idempotent)."""

    def __init__(self, pool: I2CBusPool, number: int, bus: I2CBus, lock: threading.Lock) -> None:
        self._pool = pool
        self._number = number
        self._bus = bus
        self._lock = lock
        self._closed = False

    @property
    def number(self) -> int:
        """The bus number, as in ``/dev/i2c-<number>``."""
        return self._number

    def read_i2c_block_data(self, i2c_addr: int, register: int, length: int, /) -> list[int]:
        self._check_open()
        with self._lock:
            return self._bus.read_i2c_block_data(i2c_addr, register, length)

    def write_i2c_block_data(self, i2c_addr: int, register: int, data: Sequence[int], /) -> None:
        self._check_open()
        with self._lock:
            self._bus.write_i2c_block_data(i2c_addr, register, data)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._pool._release(self._number)

    def _check_open(self) -> None:
        if self._closed:
            # Same errno as smbus2 on a closed file descriptor: callers already handle OSError.
            raise OSError(9, f"I2C bus {self._number} handle is closed")


class I2CBusPool:
    """Opens each bus number once, shares it, and closes it when its last handle closes."""

    def __init__(self, opener: Callable[[int], I2CBus] = _open_smbus) -> None:
        self._opener = opener
        self._lock = threading.Lock()
        self._buses: dict[int, tuple[I2CBus, threading.Lock, int]] = {}

    def open(self, number: int) -> SharedBus:
        """A new handle on bus ``number``; the first opens the device (``OSError`` if absent)."""
        with self._lock:
            entry = self._buses.get(number)
            if entry is None:
                entry = (self._opener(number), threading.Lock(), 0)
            bus, bus_lock, users = entry
            self._buses[number] = (bus, bus_lock, users + 1)
        return SharedBus(self, number, bus, bus_lock)

    def users(self, number: int) -> int:
        """How many open handles bus ``number`` has (0 when it is closed)."""
        with self._lock:
            entry = self._buses.get(number)
            return 0 if entry is None else entry[2]

    def _release(self, number: int) -> None:
        with self._lock:
            bus, bus_lock, users = self._buses[number]
            if users > 1:
                self._buses[number] = (bus, bus_lock, users - 1)
                return
            del self._buses[number]
        with bus_lock:
            bus.close()
