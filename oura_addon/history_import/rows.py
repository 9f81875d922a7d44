"""What one imported chunk looks like to Home Assistant's recorder. Pure.

Daily values (scores, durations, heart rates...) are one row per day at local midnight with
the value as mean, min and max, like the rows the scheduler imports for recent days.

Daily totals (steps, calories, activity minutes) are sums: their live sensors are
``total_increasing``, so Home Assistant compiles sums for them and a statistics card shows a
day's "change". Imported rows carry the day's total as ``state`` and a running ``sum``
anchored on the newer rows Home Assistant already holds, walking back in time: the change
between two days is then exactly the older day's total, and the first live day continues
without a jump. Days Home Assistant already has rows for are left to those rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from oura_addon.homeassistant.statistics import row_start, statistic_rows


def mean_rows(days: Mapping[str, float], tz: tzinfo) -> list[dict[str, Any]]:
    return statistic_rows(days, tz)


def existing_rows_query(statistic_id: str, first: date, last: date, tz: tzinfo) -> dict[str, Any]:
    """The rows Home Assistant holds from ``first`` to the day after ``last`` (period day)."""
    return {
        "type": "recorder/statistics_during_period",
        "start_time": row_start(first, tz).isoformat(),
        "end_time": row_start(last + timedelta(days=2), tz).isoformat(),
        "statistic_ids": [statistic_id],
        "period": "day",
        "types": ["sum", "state"],
    }


def row_day(row: Mapping[str, Any], tz: tzinfo) -> date | None:
    """The local day of a statistics row (``start`` in ms since the epoch, or ISO text)."""
    start = row.get("start")
    if isinstance(start, int | float) and not isinstance(start, bool):
        return datetime.fromtimestamp(start / 1000, UTC).astimezone(tz).date()
    if isinstance(start, str):
        try:
            return datetime.fromisoformat(start).astimezone(tz).date()
        except ValueError:
            return None
    return None


def sum_plan(
    days: Mapping[str, float], existing: Sequence[Mapping[str, Any]], tz: tzinfo
) -> tuple[dict[str, float], float]:
    """The days to import (before Home Assistant's own rows) and the sum they end on.

    The anchor is the sum at the start of the earliest existing row's day (its sum minus its
    state, the day's running total); with no rows the sums end on 0, where a new sensor's
    statistics start.
    """
    dated = sorted((day, row) for row in existing if (day := row_day(row, tz)) is not None)
    if not dated:
        return dict(days), 0.0
    first_day, first_row = dated[0]
    total = _number(first_row.get("sum"))
    state = _number(first_row.get("state"))
    anchor = total - state
    cutoff = first_day.isoformat()
    return {d: v for d, v in days.items() if d < cutoff}, anchor


def sum_rows(days: Mapping[str, float], anchor: float, tz: tzinfo) -> list[dict[str, Any]]:
    """One row per day, oldest first; the newest ends on ``anchor``, each older one on the
    newer one's sum minus the newer day's total."""
    rows: list[dict[str, Any]] = []
    running = anchor
    for day, value in sorted(days.items(), reverse=True):
        rows.append(
            {
                "start": row_start(date.fromisoformat(day), tz).isoformat(),
                "state": value,
                "sum": running,
            }
        )
        running -= value
    rows.reverse()
    return rows


def _number(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return 0.0
