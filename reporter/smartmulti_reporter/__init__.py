"""SmartMulti laptop reporter: tells the strip how full this laptop's battery is."""

__version__ = "0.1.0"
