"""Automatic pairing: a laptop that does not know its outlet finds it by watching its charger.

- ``coordinator``: runs one pairing run at a time on the strip's outlets, on the controller's
  clock; the controller does the switching, under the same admission rule as any switch-on.
- ``run``: a pairing run's timing, phases and record.
- ``candidates``: which outlets a run may flip, and what a window may switch on.
- ``search``: the arithmetic of the binary search and of what the answers prove.
- ``registry``: the paired laptops, who reports for which outlet, and their credentials.
"""
