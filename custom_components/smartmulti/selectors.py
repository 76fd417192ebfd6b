"""The number field of every form of the integration.

Home Assistant's number selector takes "nan" (NaN is neither below a minimum nor above a
maximum), which a step would then fail to turn into an integer, or save: stored NaN is read back
as ``null`` and breaks the entry's next setup. This one refuses it on the field, as the selector
refuses a number out of its range.
"""

from __future__ import annotations

import math
from typing import Any

from homeassistant.helpers.selector import NumberSelector

from .compat import vol


class NumberBox(NumberSelector):
    """A number selector whose value is always a finite number."""

    def __call__(self, data: Any) -> float:
        value: float = super().__call__(data)
        if not math.isfinite(value):
            raise vol.Invalid(f"Value {data} is not a number")
        return value
