"""The agent's control logic: plain Python, driven by an explicit clock so tests can step it."""
