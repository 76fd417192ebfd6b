"""The number field of every form of the integration, and the check of every number entity.

Home Assistant's number selector takes "nan" (NaN is neither below a minimum nor above a
maximum), which a step would then fail to turn into an integer, or save: stored NaN is read back
as ``null`` and breaks the entry's next setup. This one refuses it on the field, as the selector
refuses a number out of its range. ``number.set_value`` lets NaN through for the same reason
(its clamp keeps it too): a budget of NaN stops the strip's plans, a limit of NaN is saved as
none; ``finite_value`` refuses it there.
"""

from __future__ import annotations

import math
from typing import Any

from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.selector import NumberSelector

from .compat import vol
from .const import DOMAIN


class NumberBox(NumberSelector):
    """A number selector whose value is always a finite number."""

    def __call__(self, data: Any) -> float:
        value: float = super().__call__(data)
        if not math.isfinite(value):
            raise vol.Invalid(f"Value {data} is not a number")
        return value


def finite_value(value: float) -> float:
    """``value``, set through a number entity, if it is a finite number; refused otherwise."""
    if not math.isfinite(value):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="nan_value",
            translation_placeholders={"value": str(value)},
        )
    return value
