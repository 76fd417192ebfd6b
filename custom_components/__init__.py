"""Custom integrations of this repository (SmartMulti)."""
