"""Home Assistant's long-term statistics as the insights read them (websocket commands).

``numeric_statistics`` lists what the picker offers (``recorder/list_statistic_ids`` with
``statistic_type: mean``); ``hourly_means`` reads one statistic's hourly means
(``recorder/statistics_during_period``). The add-on's own sensors are never offered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from oura_addon.states import FIRST_PREFIX


class CommandSession(Protocol):
    def command(self, payload: Mapping[str, Any]) -> Any: ...


@dataclass(frozen=True)
class NumericStatistic:
    statistic_id: str
    name: str | None
    unit: str | None

    @property
    def label(self) -> str:
        return self.name or self.statistic_id

    def to_json(self) -> dict[str, Any]:
        return {"entity_id": self.statistic_id, "name": self.label, "unit": self.unit}


def own_sensor(statistic_id: str) -> bool:
    return statistic_id.startswith((f"sensor.{FIRST_PREFIX}_", f"sensor.{FIRST_PREFIX}."))


def numeric_statistics(session: CommandSession) -> list[NumericStatistic]:
    """Every statistic with hourly means, by id; the add-on's own sensors left out."""
    listed = session.command({"type": "recorder/list_statistic_ids", "statistic_type": "mean"})
    found: dict[str, NumericStatistic] = {}
    for entry in listed if isinstance(listed, list) else ():
        if not isinstance(entry, dict):
            continue
        sid = entry.get("statistic_id")
        if not isinstance(sid, str) or own_sensor(sid):
            continue
        name = entry.get("name")
        unit = entry.get("display_unit_of_measurement") or entry.get(
            "statistics_unit_of_measurement"
        )
        found[sid] = NumericStatistic(
            sid, name if isinstance(name, str) else None, unit if isinstance(unit, str) else None
        )
    return [found[sid] for sid in sorted(found)]


def _moment(value: Any) -> datetime | None:
    """A row's start: epoch milliseconds (recent cores) or an ISO string (older ones)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, UTC)
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return None


def hourly_means(
    session: CommandSession, statistic_id: str, start: datetime, end: datetime
) -> list[tuple[datetime, float]]:
    """The statistic's (hour start, mean) rows from ``start`` to ``end``."""
    result = session.command(
        {
            "type": "recorder/statistics_during_period",
            "start_time": start.astimezone(UTC).isoformat(),
            "end_time": end.astimezone(UTC).isoformat(),
            "statistic_ids": [statistic_id],
            "period": "hour",
            "types": ["mean"],
        }
    )
    rows = result.get(statistic_id) if isinstance(result, dict) else None
    hours: list[tuple[datetime, float]] = []
    for row in rows if isinstance(rows, list) else ():
        if not isinstance(row, dict):
            continue
        moment = _moment(row.get("start"))
        mean = row.get("mean")
        if moment is None or isinstance(mean, bool) or not isinstance(mean, int | float):
            continue
        hours.append((moment, float(mean)))
    return hours
