"""Pure helpers that pick the records for "the latest day" and derive values from them.

A *selector* turns an endpoint's records into a ``Selection`` (the day it describes and the
records that count), or ``None`` when there is nothing to show. A *value* function turns a
selection into a plain value (``None`` when Oura does not have it). No clock is read here:
the caller passes a ``Moment``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Any, overload


@dataclass(frozen=True)  # nothing assigns to one; frozen only guards  # pragma: no mutate
class Moment:
    """The caller's notion of now: ``today`` is the local day in Home Assistant's zone."""

    today: date
    tz: tzinfo
    now: datetime


@dataclass(frozen=True)  # nothing assigns to one; frozen only guards  # pragma: no mutate
class Selection:
    day: date | None
    records: tuple[Any, ...]

    @property
    def record(self) -> Any:
        return self.records[0] if self.records else None


Selector = Callable[[Sequence[Any], Moment], Selection | None]
Value = Callable[[Selection], Any]
Attributes = Callable[[Selection], Mapping[str, Any]]

SECONDS_PER_UNIT = {"min": 60, "h": 3600}
# Oura fills lowest_heart_rate with 255 when a period has no usable reading.
NO_HEART_RATE = 255


# --- selectors -------------------------------------------------------------------------


def day_of(record: Any) -> date | None:
    day = getattr(record, "day", None)
    return day if isinstance(day, date) else None


def _known_days(records: Iterable[Any], today: date) -> list[tuple[date, Any]]:
    """Records with a day no later than today; later documents are not ours to show yet."""
    return [(day, r) for r in records if (day := day_of(r)) is not None and day <= today]


def latest_day(records: Sequence[Any], moment: Moment) -> Selection | None:
    """The document of the latest local day up to today, chosen by ``day``, not position."""
    dated = _known_days(records, moment.today)
    if not dated:
        return None
    day = max(d for d, _ in dated)
    same_day = [r for d, r in dated if d == day]
    # Several documents for one day are rare; prefer the most recently computed one.
    best = max(same_day, key=lambda r: _sortable_time(getattr(r, "timestamp", None)))
    return Selection(day, (best,))


def main_sleep(records: Sequence[Any], moment: Moment) -> Selection | None:
    """The ``long_sleep`` period of the latest night; naps and rests never stand in for it."""
    dated = _known_days(records, moment.today)
    if not dated:
        return None
    day = max(d for d, _ in dated)
    long_sleeps = [r for d, r in dated if d == day and getattr(r, "type", None) == "long_sleep"]
    if not long_sleeps:
        return Selection(day, ())
    longest = max(long_sleeps, key=_time_in_bed)
    return Selection(day, (longest,))


def _time_in_bed(sleep: Any) -> int:
    """Seconds in bed; a period without the number ranks below any real night."""
    return sleep.time_in_bed or 0


def todays(records: Sequence[Any], moment: Moment) -> Selection:
    """Every document of today, oldest first (an empty list is a real zero)."""
    chosen = [r for r in records if day_of(r) == moment.today]
    chosen.sort(key=lambda r: _sortable_time(_start_of(r)))
    return Selection(moment.today, tuple(chosen))


def latest_started(records: Sequence[Any], moment: Moment) -> Selection | None:
    """The most recently started document (workouts) up to today."""
    dated = _known_days(records, moment.today)
    if not dated:
        return None
    day, last = max(dated, key=lambda pair: (pair[0], _sortable_time(_start_of(pair[1]))))
    return Selection(day, (last,))


def latest_row(records: Sequence[Any], moment: Moment) -> Selection | None:
    """The newest time-series row up to now; its day is the local day of its timestamp."""
    rows = [(at, r) for r in records if (at := _aware(r.timestamp)) and at <= moment.now]
    if not rows:
        return None
    at, row = max(rows, key=lambda pair: pair[0])
    return Selection(at.astimezone(moment.tz).date(), (row,))


def todays_rows(records: Sequence[Any], moment: Moment) -> Selection | None:
    """Time-series rows whose timestamp falls on today's local day."""
    rows = [
        r
        for r in records
        if (at := _aware(r.timestamp)) and at.astimezone(moment.tz).date() == moment.today
    ]
    return Selection(moment.today, tuple(rows)) if rows else None


def covering_today(records: Sequence[Any], moment: Moment) -> Selection:
    """Periods (rest mode) that include today; an open period has no end day."""
    today = moment.today
    chosen = tuple(
        r
        for r in records
        if r.start_day is not None
        and r.start_day <= today
        and (r.end_day is None or r.end_day >= today)
    )
    return Selection(today, chosen)


def current_ring(records: Sequence[Any], moment: Moment) -> Selection | None:
    """The most recently set-up ring; older rings stay in the account's history."""
    if not records:
        return None
    ring = max(records, key=lambda r: _sortable_time(r.set_up_at))
    return Selection(None, (ring,))


def _start_of(record: Any) -> datetime | None:
    return getattr(record, "start_datetime", None) or getattr(record, "start_time", None)


@overload
def _aware(moment: datetime) -> datetime: ...
@overload
def _aware(moment: datetime | None) -> datetime | None: ...
def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    # Oura's time series are UTC; a naive value is read as UTC rather than crash a compare.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _sortable_time(moment: datetime | None) -> datetime:
    return _aware(moment) or datetime.min.replace(tzinfo=UTC)


# --- values ----------------------------------------------------------------------------


def field(name: str) -> Value:
    """A field of the selected record."""
    return lambda selection: getattr(selection.record, name, None)


def rounded(name: str, digits: int) -> Value:
    def value(selection: Selection) -> float | None:
        number: float | None = getattr(selection.record, name, None)
        if number is None:
            return None
        return round(number) if digits == 0 else round(number, digits)

    return value


def contributor(name: str) -> Value:
    """One contributor score of a daily document (``contributors.<name>``)."""

    def value(selection: Selection) -> float | None:
        record = selection.record
        return record.contributors.get(name) if record is not None else None

    return value


def seconds_as(name: str, unit: str) -> Value:
    """A duration Oura gives in seconds, in ``min`` (1 decimal) or ``h`` (2 decimals)."""
    per_unit = SECONDS_PER_UNIT[unit]
    digits = 2 if unit == "h" else 1

    def value(selection: Selection) -> float | None:
        seconds = getattr(selection.record, name, None)
        return round(seconds / per_unit, digits) if seconds is not None else None

    return value


def share_of(part: str, whole: str) -> Value:
    """``part`` as a percentage of ``whole`` (e.g. deep sleep of total sleep)."""

    def value(selection: Selection) -> float | None:
        numerator: float | None = getattr(selection.record, part, None)
        denominator: float | None = getattr(selection.record, whole, None)
        if numerator is None or not denominator:
            return None
        return round(100 * numerator / denominator, 1)

    return value


def heart_rate(name: str) -> Value:
    def value(selection: Selection) -> int | None:
        bpm = getattr(selection.record, name, None)
        return None if bpm == NO_HEART_RATE else bpm

    return value


def count(selection: Selection) -> int:
    return len(selection.records)


def any_selected(selection: Selection) -> bool:
    return bool(selection.records)


def minutes_between(start: str, end: str) -> Value:
    def value(selection: Selection) -> float | None:
        began: datetime | None = getattr(selection.record, start, None)
        ended: datetime | None = getattr(selection.record, end, None)
        if began is None or ended is None:
            return None
        return round((_aware(ended) - _aware(began)).total_seconds() / 60, 1)

    return value


def minutes_of_type(session_type: str) -> Value:
    """Total minutes of today's sessions of one type (e.g. meditation)."""

    def value(selection: Selection) -> float:
        total = 0.0
        for session in selection.records:
            if session.type == session_type and session.start_datetime and session.end_datetime:
                elapsed = _aware(session.end_datetime) - _aware(session.start_datetime)
                total += elapsed.total_seconds() / 60
        return round(total, 1)

    return value


def _mean(beats: Sequence[float]) -> float:
    return round(sum(beats) / len(beats), 1)


_BPM_STATISTICS: dict[str, Callable[[Sequence[float]], float]] = {
    "min": min,
    "max": max,
    "mean": _mean,
}


def bpm_statistic(kind: str) -> Value:
    """``min``, ``max`` or ``mean`` of the selected heart-rate rows."""
    statistic = _BPM_STATISTICS[kind]  # a misspelt kind fails at import, not as another one

    def value(selection: Selection) -> float | None:
        beats: list[float] = [row.bpm for row in selection.records if row.bpm is not None]
        return statistic(beats) if beats else None

    return value


def bedtime_edge(offset_name: str) -> Value:
    """The optimal bedtime window edge as a timestamp.

    Oura gives ``start_offset``/``end_offset`` in seconds from midnight of the document's
    day, in the fixed UTC offset ``day_tz`` (seconds); offsets may be negative (evening
    before).
    """

    def value(selection: Selection) -> datetime | None:
        record = selection.record
        window = getattr(record, "optimal_bedtime", None) or {}
        offset, day_tz = window.get(offset_name), window.get("day_tz")
        if record is None or record.day is None:
            return None
        if not isinstance(offset, int | float) or not isinstance(day_tz, int | float):
            return None
        zone = timezone(timedelta(seconds=day_tz))
        midnight = datetime.combine(record.day, time(0), tzinfo=zone)
        return midnight + timedelta(seconds=offset)

    return value


# --- attributes ------------------------------------------------------------------------


def contributors(selection: Selection) -> Mapping[str, Any]:
    record = selection.record
    return {"contributors": dict(record.contributors)} if record is not None else {}


def fields(*names: str) -> Attributes:
    """Selected record fields as attributes (dates and times in ISO 8601)."""

    def attributes(selection: Selection) -> Mapping[str, Any]:
        record = selection.record
        if record is None:
            return {}
        return {name: plain(getattr(record, name, None)) for name in names}

    return attributes


def listed(name: str, item: str | Callable[[Any], Any]) -> Attributes:
    """One attribute listing a field (or a description) of every selected record."""
    describe = item if callable(item) else (lambda record: getattr(record, item, None))

    def attributes(selection: Selection) -> Mapping[str, Any]:
        return {name: [plain(describe(record)) for record in selection.records]}

    return attributes


def tag_name(tag: Any) -> str | None:
    """What the user called a tag: their own name, else Oura's code without its prefix."""
    custom: str | None = tag.custom_name
    if custom:
        return custom
    code: str | None = tag.tag_type_code
    return code.removeprefix("tag_generic_").replace("_", " ") if code else None


def plain(value: Any) -> Any:
    """A JSON-ready attribute value."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
