"""The agent's HTTP API (``/api/v1``): the contract Home Assistant and the reporters code against."""
