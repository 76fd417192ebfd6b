"""The config flow's parts, by entry kind: a strip's options, a circuit's creation and options.

``config_flow.py`` (the module Home Assistant loads) holds the entry creation flows and hands
each kind of entry its options flow from here. The users' subentry flow and the billing
options are billing's (``billing_flow.py``).
"""
