"""Simulated hardware: a physical model of laptops and lamps behind the relay and meter interfaces."""
