"""Automatic pairing: a laptop that does not know its outlet finds it by watching its charger."""
