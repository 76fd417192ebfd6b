"""Users and billing: who used which outlet's energy, their limits, sessions and bills.

``ledger`` attributes every strip's energy (``accounts``: the counting rule; ``sessions`` and
``history``: who was on an outlet; ``limits``: periods, thresholds and holds; ``store``: the
ledger's storage); ``setup`` sets up the "Users and billing" entry and each strip's part,
``users`` reads the manager's settings, ``flow`` edits them, ``entities``, ``services``,
``export`` and ``download`` show and bill the figures. Nothing is imported here, so importing
one module of the package loads only what that module needs.
"""
