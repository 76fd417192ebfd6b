"""Fakes of the hardware the agent drives, shared by every test that needs one."""

from .ina219 import FakeINA219, FakeSMBus, Transfer

__all__ = ["FakeINA219", "FakeSMBus", "Transfer"]
