"""GPIO relays, on gpiozero's mock pins: what level each pin is driven to, and when."""

from __future__ import annotations

from collections.abc import Iterator

from gpiozero.pins.mock import MockFactory, MockPin
import pytest

from pi_agent.hardware.base import RelayError
from pi_agent.hardware.relays import GpioRelay

PIN = 17
HIGH, LOW = True, False


@pytest.fixture
def factory() -> Iterator[MockFactory]:
    factory = MockFactory()
    yield factory
    factory.close()


def pin(factory: MockFactory, number: int = PIN) -> MockPin:
    return factory.pin(number)


def test_new_relay_is_off_with_its_active_low_pin_driven_high(factory: MockFactory) -> None:
    relay = GpioRelay(PIN, pin_factory=factory)
    assert not relay.is_on
    assert pin(factory).function == "output"
    assert pin(factory).state == HIGH


def test_switching_on_drives_an_active_low_pin_low(factory: MockFactory) -> None:
    relay = GpioRelay(PIN, pin_factory=factory)
    relay.set(True)
    assert relay.is_on
    assert pin(factory).state == LOW


def test_switching_off_drives_an_active_low_pin_high_again(factory: MockFactory) -> None:
    relay = GpioRelay(PIN, pin_factory=factory)
    relay.set(True)
    relay.set(False)
    assert not relay.is_on
    assert pin(factory).state == HIGH


def test_active_high_relay_is_low_when_off_and_high_when_on(factory: MockFactory) -> None:
    relay = GpioRelay(PIN, active_high=True, pin_factory=factory)
    assert (relay.is_on, pin(factory).state) == (False, LOW)
    relay.set(True)
    assert (relay.is_on, pin(factory).state) == (True, HIGH)


def test_close_releases_the_pin_as_an_input(factory: MockFactory) -> None:
    relay = GpioRelay(PIN, pin_factory=factory)
    relay.set(True)
    relay.close()
    assert pin(factory).function == "input"
    assert not relay.is_on
    GpioRelay(PIN, pin_factory=factory)  # free again: a second relay can take it


def test_close_twice_is_harmless(factory: MockFactory) -> None:
    relay = GpioRelay(PIN, pin_factory=factory)
    relay.close()
    relay.close()
    assert pin(factory).function == "input"


def test_switching_a_closed_relay_raises_relay_error(factory: MockFactory) -> None:
    relay = GpioRelay(PIN, pin_factory=factory)
    relay.close()
    with pytest.raises(RelayError, match="cannot switch on"):
        relay.set(True)
    assert not relay.is_on


def test_pin_already_in_use_raises_relay_error(factory: MockFactory) -> None:
    first = GpioRelay(PIN, pin_factory=factory)
    with pytest.raises(RelayError, match="GPIO 17"):
        GpioRelay(PIN, pin_factory=factory)
    first.set(True)  # the first relay still owns and drives the pin
    assert pin(factory).state == LOW


def test_unknown_pin_raises_relay_error(factory: MockFactory) -> None:
    with pytest.raises(RelayError, match="GPIO 99"):
        GpioRelay(99, pin_factory=factory)
