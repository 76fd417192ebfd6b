"""Energy statistics' metadata in the shape each supported Home Assistant wants.

Since 2025.11 a statistic says its ``mean_type`` and ``unit_class`` (``has_mean`` goes); the
oldest supported release imports by ``has_mean``.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.recorder.models import StatisticMeanType, StatisticMetaData


def energy_metadata(statistic_id: str) -> StatisticMetaData:
    fields: dict[str, Any] = {
        "has_sum": True,
        "name": None,
        "source": "recorder",
        "statistic_id": statistic_id,
        "unit_of_measurement": "kWh",
    }
    if "unit_class" in StatisticMetaData.__annotations__:
        fields["mean_type"] = StatisticMeanType.NONE
        fields["unit_class"] = "energy"
    else:  # the oldest supported release
        fields["has_mean"] = False
    return StatisticMetaData(**fields)  # type: ignore[typeddict-item]
