"""Constants of the SmartMulti integration."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "smartmulti"
LOGGER = logging.getLogger(__package__)

MANUFACTURER: Final = "SmartMulti"

# The config entries' version (the config flow writes it): a new major is one this code
# cannot read; minor 2 is the first whose numbers are all finite (``entry_numbers.py``).
ENTRY_VERSION: Final = 1
ENTRY_MINOR_VERSION: Final = 2
DEFAULT_PORT: Final = 8450

# Options
CONF_SCAN_INTERVAL: Final = "scan_interval"
DEFAULT_SCAN_INTERVAL: Final = 30  # seconds; only used while the event stream is down
MIN_SCAN_INTERVAL: Final = 5
MAX_SCAN_INTERVAL: Final = 3600

# Options flow fields
CONF_OUTLET: Final = "outlet"
CONF_EXCEPTION: Final = "exception"
CONF_BATTERY_SENSOR: Final = "battery_sensor"

# Entry kinds: a strip (its agent) has no kind; a circuit is an entry of its own.
CONF_KIND: Final = "kind"
KIND_CIRCUIT: Final = "circuit"
KIND_BILLING: Final = "billing"  # the "Users and billing" entry (billing/setup.py)

# Circuit entries: data has the name, options the rating and the parent circuit.
CONF_MAX_POWER: Final = "max_power"
CONF_PARENT: Final = "parent"
NO_CIRCUIT: Final = "none"  # the select option for "not on a circuit" / "top-level circuit"
MAX_CIRCUIT_POWER_W: Final = 100_000  # the agent's largest accepted budget

# Strip options for balancing
CONF_CIRCUIT: Final = "circuit"  # the circuit entry's id
CONF_BALANCING_INTERVAL: Final = "balancing_interval"
CONF_BATTERY_SENSORS: Final = "battery_sensors"  # {"<outlet id>": "sensor.<entity>"}
# Battery data older than this (minutes) is ignored by the balancer and shown as stale. The
# engine ignores reports older than its own ``Settings.report_max_age_s`` (15 min) anyway.
CONF_BATTERY_MAX_AGE: Final = "battery_max_age"
DEFAULT_BATTERY_MAX_AGE: Final = 10
MIN_BATTERY_MAX_AGE: Final = 1
BALANCING_OPTIONS: Final = frozenset(
    {CONF_CIRCUIT, CONF_BALANCING_INTERVAL, CONF_BATTERY_SENSORS, CONF_BATTERY_MAX_AGE}
)
DEFAULT_BALANCING_INTERVAL: Final = 10  # seconds
MIN_BALANCING_INTERVAL: Final = 1
MAX_BALANCING_INTERVAL: Final = 300
# A plan is valid for this many cycles: two lost plans in a row do not hand the strip to the
# failsafe; three do.
PLAN_TTL_CYCLES: Final = 3
# Changes (a relay, a budget, a setting) start a cycle at once, then at most one per cooldown.
CYCLE_COOLDOWN_S: Final = 1.0
OUTLET_NAME_MAX_LENGTH: Final = 64  # the agent's limit (pi_agent/openapi.json, OutletPatch)

# HTTP
REQUEST_TIMEOUT_S: Final = 10.0
# The agent writes a keepalive comment every 15 s: three missed ones mean a dead connection.
STREAM_READ_TIMEOUT_S: Final = 45.0
# Event-stream reconnection backoff (doubling, with jitter), in seconds.
RECONNECT_MIN_S: Final = 1.0
RECONNECT_MAX_S: Final = 30.0

# Outlet state derived in Home Assistant: an outlet the agent reports idle (on, drawing under
# its idle threshold) for FULL_AFTER holds a full laptop (or nothing at all).
FULL_AFTER: Final = timedelta(minutes=2)
FULL_BATTERY_PERCENT: Final = 99.0
