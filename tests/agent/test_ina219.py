"""The INA219 driver, against a fake bus whose chips compute their registers as the datasheet says.

Expected calibration numbers are worked out by hand from SBOS448:
Current_LSB >= max current / 32767 (the signed current register), rounded up to a 1-2-5 value;
Cal = trunc(0.04096 / (Current_LSB x R_shunt)), bit 0 void; config = BRNG | PG | BADC | SADC | MODE.
"""

from __future__ import annotations

import errno
import math

from hypothesis import given, strategies as st
import pytest

from pi_agent.hardware.base import MeterError, Reading
from pi_agent.hardware.i2c import I2CBusPool
from pi_agent.hardware.ina219 import INA219
from tests.fakes import FakeINA219, FakeSMBus, Transfer

# Config words by hand: 32 V range 0x2000 | PG << 11 | BADC = SADC = 0b1100 (12-bit, 16 samples)
# at bits 10..7 and 6..3 (0x0600 | 0x0060) | MODE 0b111 (shunt and bus, continuous).
CONFIG_40MV = 0x2667  # PG = 00
CONFIG_80MV = 0x2E67  # PG = 01
CONFIG_160MV = 0x3667  # PG = 10
CONFIG_320MV = 0x3E67  # PG = 11


def meter_on(
    bus: FakeSMBus, shunt_ohms: float = 0.1, max_a: float = 3.2, address: int = 0x40
) -> tuple[INA219, FakeINA219]:
    chip = bus.add_ina219(address, shunt_ohms)
    return INA219(bus, address, shunt_ohms, max_a), chip


@pytest.fixture
def bus() -> FakeSMBus:
    return FakeSMBus()


# Calibration and range


def test_calibration_for_a_0_1_ohm_shunt_and_3_2_a(bus: FakeSMBus) -> None:
    meter, chip = meter_on(bus, 0.1, 3.2)
    # 3.2 A / 32767 = 97.66 uA -> 100 uA; Cal = 0.04096 / (100e-6 x 0.1) = 0.04096 / 1e-5 = 4096
    assert meter.calibration == 4096
    assert meter.current_lsb_a == pytest.approx(100e-6)
    assert meter.power_lsb_w == pytest.approx(2e-3)  # 20 x 100 uA
    assert chip.calibration == 4096


def test_calibration_for_a_0_01_ohm_shunt_and_10_a(bus: FakeSMBus) -> None:
    meter, chip = meter_on(bus, 0.01, 10.0)
    # 10 A / 32767 = 305.2 uA -> 500 uA; Cal = 0.04096 / (500e-6 x 0.01) = 0.04096 / 5e-6 = 8192
    assert meter.calibration == 8192
    assert meter.current_lsb_a == pytest.approx(500e-6)
    assert chip.calibration == 8192


def test_current_lsb_grows_when_calibration_would_not_fit_16_bits(bus: FakeSMBus) -> None:
    meter, _ = meter_on(bus, 0.01, 1.0)
    # 1 A / 32767 = 30.5 uA would need Cal = 0.04096 / (30.5e-6 x 0.01) = 134 218 > 0xFFFE;
    # Cal <= 65534 needs LSB >= 0.04096 / (65534 x 0.01) = 62.5 uA -> 100 uA;
    # Cal = 0.04096 / (100e-6 x 0.01) = 40960
    assert meter.calibration == 40960
    assert meter.current_lsb_a == pytest.approx(100e-6)


def test_odd_calibration_is_written_even_because_bit_0_is_void(bus: FakeSMBus) -> None:
    meter, chip = meter_on(bus, 0.015, 5.0)
    # 5 A / 32767 = 152.6 uA -> 200 uA; 0.04096 / (200e-6 x 0.015) = 13653.3 -> 13653 -> 13652;
    # the register then weighs 0.04096 / (13652 x 0.015) = 0.04096 / 204.78 = 200.02 uA per count
    assert meter.calibration == 13652
    assert meter.current_lsb_a == pytest.approx(200.02e-6, rel=1e-5)
    chip.bus_voltage_v, chip.current_a = 20.0, 4.0
    assert meter.read().current_a == pytest.approx(4.0, abs=250e-6)  # no false "reset" either


@pytest.mark.parametrize(
    ("shunt_ohms", "max_a", "range_v", "config"),
    [
        (0.1, 0.3, 0.04, CONFIG_40MV),  # 30 mV at max
        (0.1, 0.5, 0.08, CONFIG_80MV),  # 50 mV
        (0.01, 10.0, 0.16, CONFIG_160MV),  # 100 mV
        (0.1, 3.2, 0.32, CONFIG_320MV),  # 320 mV, exactly the top of the range
    ],
)
def test_pga_range_is_the_smallest_holding_the_shunt_voltage_at_max_current(
    bus: FakeSMBus, shunt_ohms: float, max_a: float, range_v: float, config: int
) -> None:
    meter, chip = meter_on(bus, shunt_ohms, max_a)
    assert meter.shunt_range_v == range_v
    assert chip.config == config


@pytest.mark.parametrize(
    ("samples", "config"),
    [
        (1, 0x3C47),  # BADC = SADC = 0b1000 (12-bit, 1 sample): 0x2000|0x1800|0x0400|0x0040|7
        (128, 0x3FFF),  # 0b1111 (12-bit, 128 samples): 0x2000|0x1800|0x0780|0x0078|7
    ],
)
def test_samples_set_the_averaging_of_both_adcs(bus: FakeSMBus, samples: int, config: int) -> None:
    bus.add_ina219(0x40, 0.1)
    INA219(bus, 0x40, 0.1, 3.2, samples=samples)
    assert bus.chips[0x40].config == config


def test_sample_count_the_chip_cannot_average_is_rejected(bus: FakeSMBus) -> None:
    with pytest.raises(ValueError, match="samples must be one of"):
        INA219(bus, 0x40, 0.1, 3.2, samples=3)


def test_shunt_voltage_above_320_mv_at_max_current_is_rejected(bus: FakeSMBus) -> None:
    with pytest.raises(ValueError, match="320 mV"):
        INA219(bus, 0x40, 0.1, 4.0)  # 400 mV


@pytest.mark.parametrize(
    ("shunt_ohms", "max_a"), [(0.0, 1.0), (-0.1, 1.0), (math.nan, 1.0), (0.1, 0.0), (0.1, math.inf)]
)
def test_non_positive_or_non_finite_shunt_or_current_is_rejected(
    bus: FakeSMBus, shunt_ohms: float, max_a: float
) -> None:
    with pytest.raises(ValueError, match="must be a positive number"):
        INA219(bus, 0x40, shunt_ohms, max_a)


@pytest.mark.parametrize("address", [0x00, 0x3F, 0x50, 0x7F])
def test_address_outside_0x40_to_0x4f_is_rejected(bus: FakeSMBus, address: int) -> None:
    with pytest.raises(ValueError, match="0x40-0x4F"):
        INA219(bus, address, 0.1, 3.2)


@pytest.mark.parametrize("address", [0x40, 0x4F])
def test_addresses_0x40_and_0x4f_are_accepted(bus: FakeSMBus, address: int) -> None:
    meter, _ = meter_on(bus, address=address)
    assert meter.address == address


# Wire format


def test_config_and_calibration_go_on_the_wire_msb_first(bus: FakeSMBus) -> None:
    meter_on(bus, 0.1, 3.2)
    assert bus.transfers == [
        Transfer("write", 0x40, 0x00, (0x3E, 0x67)),  # config 0x3E67
        Transfer("write", 0x40, 0x05, (0x10, 0x00)),  # calibration 4096 = 0x1000
    ]


def test_reading_decodes_msb_first_words(bus: FakeSMBus) -> None:
    meter, chip = meter_on(bus, 0.1, 3.2)
    # 12 V = 3000 x 4 mV: bus word (3000 << 3) | CNVR = 0x5DC2, bytes 5D C2 (C25D if swapped);
    # 1.5 A x 0.1 ohm = 150 mV = 15000 x 10 uV; current = 15000 x 4096 / 4096 = 0x3A98
    chip.bus_voltage_v, chip.current_a = 12.0, 1.5
    assert meter.read() == pytest.approx(Reading(12.0, 1.5, 18.0))
    assert Transfer("read", 0x40, 0x02, (0x5D, 0xC2)) in bus.transfers
    assert Transfer("read", 0x40, 0x04, (0x3A, 0x98)) in bus.transfers


def test_negative_current_reads_negative_with_negative_power(bus: FakeSMBus) -> None:
    meter, chip = meter_on(bus, 0.1, 3.2)
    # -0.75 A x 0.1 ohm = -75 mV = -7500 counts: two's complement 0xE2B4 on the wire
    chip.bus_voltage_v, chip.current_a = 5.0, -0.75
    assert meter.read() == pytest.approx(Reading(5.0, -0.75, -3.75))
    assert Transfer("read", 0x40, 0x04, (0xE2, 0xB4)) in bus.transfers


def test_max_expected_current_at_the_top_of_the_range_reads_normally(bus: FakeSMBus) -> None:
    meter, chip = meter_on(bus, 0.1, 3.2)  # 3.2 A x 0.1 ohm = 320 mV: the /8 range exactly
    chip.bus_voltage_v, chip.current_a = 20.0, -3.2
    assert meter.read() == pytest.approx(Reading(20.0, -3.2, -64.0))


@given(current_a=st.floats(min_value=-3.2, max_value=3.2), bus_v=st.floats(0.0, 26.0))
def test_readings_are_within_one_step_across_the_range(current_a: float, bus_v: float) -> None:
    bus = FakeSMBus()
    meter, chip = meter_on(bus, 0.1, 3.2)
    chip.bus_voltage_v, chip.current_a = bus_v, current_a
    reading = meter.read()
    # one current LSB (100 uA) plus half a shunt step (5 uV / 0.1 ohm = 50 uA); 2 mV on the bus
    assert reading.current_a == pytest.approx(current_a, abs=150e-6)
    assert reading.voltage_v == pytest.approx(bus_v, abs=2e-3 + 1e-9)
    assert reading.power_w == pytest.approx(reading.voltage_v * reading.current_a)


# Faults


def test_overflow_flag_raises_meter_error(bus: FakeSMBus) -> None:
    meter, chip = meter_on(bus)
    chip.bus_voltage_v, chip.current_a = 12.0, 1.0
    chip.force_overflow = True
    with pytest.raises(MeterError, match="OVF"):
        meter.read()


def test_current_beyond_the_shunt_range_raises_meter_error(bus: FakeSMBus) -> None:
    # 0.39 A x 0.1 ohm = 39 mV -> 40 mV range; 0.39 A / 32767 = 11.9 uA -> 20 uA,
    # Cal = 0.04096 / (20e-6 x 0.1) = 20480. 0.5 A = 50 mV saturates the shunt register at 4095
    # counts (40.95 mV): the current register says 4095 x 20480 / 4096 = 20475 (0.41 A), no OVF.
    meter, chip = meter_on(bus, 0.1, 0.39)
    chip.bus_voltage_v, chip.current_a = 5.0, 0.5
    with pytest.raises(MeterError, match="beyond the 40 mV range"):
        meter.read()


def test_bus_error_raises_meter_error_and_the_next_read_recovers(bus: FakeSMBus) -> None:
    meter, chip = meter_on(bus)
    chip.bus_voltage_v, chip.current_a = 20.0, 2.0
    bus.fail_next(1, errno.EIO)
    with pytest.raises(MeterError, match="bus error") as caught:
        meter.read()
    assert isinstance(caught.value.__cause__, OSError)
    assert meter.read() == pytest.approx(Reading(20.0, 2.0, 40.0))


def test_missing_chip_is_a_bus_error(bus: FakeSMBus) -> None:
    meter = INA219(bus, 0x41, 0.1, 3.2)  # nothing answers at 0x41: construction still succeeds
    with pytest.raises(MeterError, match="Remote I/O error"):
        meter.read()


def test_meter_absent_at_start_configures_itself_once_the_chip_answers(bus: FakeSMBus) -> None:
    meter = INA219(bus, 0x41, 0.1, 3.2)
    chip = bus.add_ina219(0x41, 0.1)
    chip.bus_voltage_v, chip.current_a = 9.0, 1.0
    with pytest.raises(MeterError, match="configured"):
        meter.read()  # the current register holds no valid value before the next conversion
    assert (chip.config, chip.calibration) == (CONFIG_320MV, 4096)
    assert meter.read() == pytest.approx(Reading(9.0, 1.0, 9.0))


def test_calibration_reset_is_rewritten_and_the_next_read_is_correct(bus: FakeSMBus) -> None:
    meter, chip = meter_on(bus)
    chip.bus_voltage_v, chip.current_a = 15.0, 3.0
    chip.reset()  # a load spike: calibration 0, config back to 0x399F, current reads 0
    with pytest.raises(MeterError, match="calibration read 0x0000 instead of 0x1000"):
        meter.read()
    assert (chip.config, chip.calibration) == (CONFIG_320MV, 4096)
    assert meter.read() == pytest.approx(Reading(15.0, 3.0, 45.0))


def test_meters_at_two_addresses_read_their_own_chip(bus: FakeSMBus) -> None:
    first, first_chip = meter_on(bus, address=0x40)
    last, last_chip = meter_on(bus, address=0x4F)
    first_chip.bus_voltage_v, first_chip.current_a = 5.0, 0.5
    last_chip.bus_voltage_v, last_chip.current_a = 20.0, 3.0
    assert first.read() == pytest.approx(Reading(5.0, 0.5, 2.5))
    assert last.read() == pytest.approx(Reading(20.0, 3.0, 60.0))


def test_close_closes_the_bus_and_later_reads_raise(bus: FakeSMBus) -> None:
    meter, _ = meter_on(bus)
    meter.close()
    assert bus.closed
    with pytest.raises(MeterError, match="closed"):
        meter.read()


# A bus shared by the meters on it


class Opener:
    """Opens fake buses and remembers them, as ``smbus2.SMBus(n)`` would open /dev/i2c-n."""

    def __init__(self) -> None:
        self.opened: list[tuple[int, FakeSMBus]] = []

    def __call__(self, number: int) -> FakeSMBus:
        bus = FakeSMBus()
        for address in (0x40, 0x41):
            bus.add_ina219(address)
        self.opened.append((number, bus))
        return bus


def test_meters_on_one_bus_number_share_one_opened_bus() -> None:
    opener = Opener()
    pool = I2CBusPool(opener)
    INA219(pool.open(1), 0x40, 0.1, 3.2)
    INA219(pool.open(1), 0x41, 0.1, 3.2)
    assert [number for number, _ in opener.opened] == [1]
    assert pool.users(1) == 2


def test_bus_closes_when_its_last_meter_closes() -> None:
    opener = Opener()
    pool = I2CBusPool(opener)
    first = INA219(pool.open(1), 0x40, 0.1, 3.2)
    second = INA219(pool.open(1), 0x41, 0.1, 3.2)
    [(_, bus)] = opener.opened
    first.close()
    assert (bus.closed, pool.users(1)) == (False, 1)
    second.close()
    assert (bus.closed, pool.users(1)) == (True, 0)


def test_closed_bus_is_reopened_for_a_new_meter() -> None:
    opener = Opener()
    pool = I2CBusPool(opener)
    INA219(pool.open(1), 0x40, 0.1, 3.2).close()
    meter = INA219(pool.open(1), 0x40, 0.1, 3.2)
    chip = opener.opened[-1][1].chips[0x40]
    chip.bus_voltage_v, chip.current_a = 5.0, 1.0
    assert len(opener.opened) == 2
    assert meter.read() == pytest.approx(Reading(5.0, 1.0, 5.0))


def test_closing_a_handle_twice_releases_it_once() -> None:
    pool = I2CBusPool(Opener())
    first, second = pool.open(1), pool.open(1)
    first.close()
    first.close()
    assert pool.users(1) == 1
    with pytest.raises(OSError, match="closed"):
        first.read_i2c_block_data(0x40, 0x00, 2)
    assert second.read_i2c_block_data(0x40, 0x00, 2) == [0x39, 0x9F]  # power-on config
