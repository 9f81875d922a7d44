"""Which sensors' past days are imported, grouped for progress, and their day values. Pure.

The catalogue flags the sensors with one value per day (``statistic``) and its
``daily_values`` is the one day rule; this module only groups them by the endpoints a chunk
fetches together and tells the daily totals (imported as sums) from the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, tzinfo
from typing import Any

from oura_addon import catalogue
from oura_addon.catalogue.table import TOTAL_INCREASING, SensorDescription

# Progress is shown per group: the endpoints a group reads are fetched together.
GROUPS: Mapping[str, tuple[str, ...]] = {
    "sleep": ("daily_sleep", "sleep"),
    "readiness": ("daily_readiness",),
    "activity": ("daily_activity",),
    "spo2": ("daily_spo2",),
    "stress": ("daily_stress", "daily_resilience"),
    "heart_health": ("daily_cardiovascular_age", "vO2_max"),
}
GROUP_OF_ENDPOINT = {endpoint: group for group, names in GROUPS.items() for endpoint in names}


@dataclass(frozen=True)
class StatisticSensor:
    """A sensor imported into statistics: ``total`` ones (daily totals) as sums."""

    description: SensorDescription

    @property
    def key(self) -> str:
        return self.description.key

    @property
    def unit(self) -> str | None:
        return self.description.unit

    @property
    def total(self) -> bool:
        return self.description.state_class == TOTAL_INCREASING

    @property
    def group(self) -> str:
        return GROUP_OF_ENDPOINT[self.description.endpoint]


def statistic_sensors() -> tuple[StatisticSensor, ...]:
    """Every sensor the catalogue flags as a statistic, in catalogue order."""
    return tuple(StatisticSensor(s) for s in catalogue.STATISTIC_SENSORS)


def reconciled_sensors() -> tuple[StatisticSensor, ...]:
    """The sensors whose recent days the scheduler re-imports when Oura revises them.

    Daily totals are left out: for the days their live sensor existed Home Assistant
    compiled its own sums, which an imported row would break.
    """
    return tuple(s for s in statistic_sensors() if not s.total)


def reconciled_endpoints() -> frozenset[str]:
    """The endpoints whose documents feed the reconciled sensors (time series never do)."""
    return frozenset(s.description.endpoint for s in reconciled_sensors())


def group_sensors(group: str) -> tuple[StatisticSensor, ...]:
    return tuple(s for s in statistic_sensors() if s.group == group)


DayValues = dict[str, dict[str, float]]  # sensor key -> ISO day -> value


def since(days: Mapping[str, float], first: date) -> dict[str, float]:
    cutoff = first.isoformat()
    return {day: value for day, value in days.items() if day >= cutoff}


def daily_values(
    records: Mapping[str, Sequence[Any]],
    tz: tzinfo,
    sensors: Sequence[StatisticSensor],
    *,
    first: date,
    last: date,
) -> DayValues:
    """Each sensor's value on every day of [first, last] its endpoint has a document for;
    days without a usable value are absent, never zero."""
    values = catalogue.daily_values(
        records, today=last, tz=tz, sensors=[s.description for s in sensors]
    )
    return {key: since(days, first) for key, days in values.items()}
