"""The integration's site cycle at scale, in a Home Assistant test instance (section 3)."""
