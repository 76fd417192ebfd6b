"""Planning in Home Assistant: the site's cycles, each strip's and circuit's part in them.

- ``scheduler``: ``SiteScheduler``, the site's cycle (one per Home Assistant).
- ``strip``: ``StripPlanner``, a strip's settings, its input to the engine, the plan it sends.
- ``plan``: ``Plan``, what the agent is sent; ``CycleResult``, a cycle's outcome for a strip.
- ``circuits``: ``CircuitPlanner``, a circuit's run-time budget; the circuit tree for the engine.
- ``inputs``: what Home Assistant knows of a strip, turned into the engine's input.
- ``sender``: posting a strip's plans to its agent.
- ``storage``: what the site keeps across restarts.

The engine itself (``balancing/``) knows nothing of Home Assistant.
"""
