"""SmartMulti agent: runs on the strip's Raspberry Pi, owns the relays, meters and safety."""

__version__ = "0.1.0"
