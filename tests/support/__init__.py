"""Helpers shared by the test suites: a real agent on loopback, fake hardware."""
