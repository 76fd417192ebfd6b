"""Hardware behind small interfaces: relays switch outlets, meters measure them."""
