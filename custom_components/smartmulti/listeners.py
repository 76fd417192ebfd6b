"""Subscribers to state that is not a coordinator's: the planners and the ledger.

Entities subscribe here as they would to a coordinator, so one entity base serves both.
"""

from __future__ import annotations

from homeassistant.core import CALLBACK_TYPE, callback


class Listeners:
    """Callbacks to run when the owner's state changes."""

    def __init__(self) -> None:
        self._listeners: list[CALLBACK_TYPE] = []

    @callback
    def async_add_listener(self, update_callback: CALLBACK_TYPE) -> CALLBACK_TYPE:
        self._listeners.append(update_callback)

        @callback
        def remove() -> None:
            self._listeners.remove(update_callback)

        return remove

    @callback
    def async_update_listeners(self) -> None:
        for update_callback in list(self._listeners):
            update_callback()
