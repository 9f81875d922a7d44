"""Typed records for the Oura API v2 documents the add-on uses.

Real responses drift from the published spec in both directions (older recordings lack
fields the spec now requires; new fields appear without notice), so every field is optional,
unknown fields are ignored, and a value of the wrong type becomes ``None`` rather than an
error. ``parse_record`` is the only constructor the rest of the add-on uses.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any, TypeVar

Contributors = Mapping[str, float | None]

T = TypeVar("T")


def parse_date(value: Any) -> date | None:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def parse_datetime(value: Any) -> datetime | None:
    """ISO 8601 with offset (``Z`` accepted); a naive value stays naive for the caller."""
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def _number(value: Any) -> float | int | None:
    # Python's JSON reads Infinity and NaN, and integers beyond any float: none is a value.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return value if math.isfinite(value) else None
    except OverflowError:
        return None


def _integer(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _contributors(value: Any) -> Contributors:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): _number(v) for k, v in value.items()}


def _mapping(value: Any) -> Mapping[str, Any] | None:
    return value if isinstance(value, Mapping) else None


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "date": parse_date,
    "datetime": parse_datetime,
    "number": _number,
    "int": _integer,
    "str": _text,
    "bool": _bool,
    "contributors": _contributors,
    "mapping": _mapping,
    "list": _list,
}


def _f(kind: str, default: Any = None) -> Any:
    if kind in ("contributors",):
        return field(default_factory=dict, metadata={"parse": kind})
    if kind == "list":
        return field(default_factory=list, metadata={"parse": kind})
    return field(default=default, metadata={"parse": kind})


def parse_record(cls: type[T], document: Any) -> T:
    """Build ``cls`` from a JSON document, tolerating missing, null and extra fields."""
    if not isinstance(document, Mapping):
        raise TypeError(f"{cls.__name__} expects a JSON object, got {type(document).__name__}")
    values = {}
    for f in fields(cls):  # type: ignore[arg-type]
        parser = _PARSERS[f.metadata["parse"]]
        values[f.name] = parser(document.get(f.name))
    return cls(**values)


@dataclass(frozen=True)
class DailySleep:
    id: str | None = _f("str")
    day: date | None = _f("date")
    score: int | None = _f("int")
    contributors: Contributors = _f("contributors")
    timestamp: datetime | None = _f("datetime")


@dataclass(frozen=True)
class DailyReadiness:
    id: str | None = _f("str")
    day: date | None = _f("date")
    score: int | None = _f("int")
    contributors: Contributors = _f("contributors")
    temperature_deviation: float | None = _f("number")
    temperature_trend_deviation: float | None = _f("number")
    timestamp: datetime | None = _f("datetime")


@dataclass(frozen=True)
class DailyActivity:
    id: str | None = _f("str")
    day: date | None = _f("date")
    score: int | None = _f("int")
    contributors: Contributors = _f("contributors")
    steps: int | None = _f("int")
    active_calories: int | None = _f("int")
    total_calories: int | None = _f("int")
    target_calories: int | None = _f("int")
    equivalent_walking_distance: int | None = _f("int")
    high_activity_time: int | None = _f("int")
    medium_activity_time: int | None = _f("int")
    low_activity_time: int | None = _f("int")
    sedentary_time: int | None = _f("int")
    resting_time: int | None = _f("int")
    non_wear_time: int | None = _f("int")
    high_activity_met_minutes: float | None = _f("number")
    medium_activity_met_minutes: float | None = _f("number")
    low_activity_met_minutes: float | None = _f("number")
    sedentary_met_minutes: float | None = _f("number")
    average_met_minutes: float | None = _f("number")
    inactivity_alerts: int | None = _f("int")
    meters_to_target: int | None = _f("int")
    target_meters: int | None = _f("int")
    timestamp: datetime | None = _f("datetime")


@dataclass(frozen=True)
class Sleep:
    """One sleep period; a night has one ``long_sleep`` and maybe naps and rests."""

    id: str | None = _f("str")
    day: date | None = _f("date")
    type: str | None = _f("str")
    bedtime_start: datetime | None = _f("datetime")
    bedtime_end: datetime | None = _f("datetime")
    total_sleep_duration: int | None = _f("int")
    deep_sleep_duration: int | None = _f("int")
    rem_sleep_duration: int | None = _f("int")
    light_sleep_duration: int | None = _f("int")
    awake_time: int | None = _f("int")
    time_in_bed: int | None = _f("int")
    efficiency: int | None = _f("int")
    latency: int | None = _f("int")
    lowest_heart_rate: int | None = _f("int")
    average_heart_rate: float | None = _f("number")
    average_hrv: int | None = _f("int")
    average_breath: float | None = _f("number")
    restless_periods: int | None = _f("int")
    period: int | None = _f("int")


@dataclass(frozen=True)
class DailySpO2:
    id: str | None = _f("str")
    day: date | None = _f("date")
    spo2_percentage: Mapping[str, Any] | None = _f("mapping")
    breathing_disturbance_index: int | None = _f("int")

    @property
    def average(self) -> float | None:
        return _number((self.spo2_percentage or {}).get("average"))


@dataclass(frozen=True)
class DailyStress:
    id: str | None = _f("str")
    day: date | None = _f("date")
    stress_high: int | None = _f("int")
    recovery_high: int | None = _f("int")
    day_summary: str | None = _f("str")


@dataclass(frozen=True)
class DailyResilience:
    id: str | None = _f("str")
    day: date | None = _f("date")
    level: str | None = _f("str")
    contributors: Contributors = _f("contributors")


@dataclass(frozen=True)
class DailyCardiovascularAge:
    id: str | None = _f("str")
    day: date | None = _f("date")
    vascular_age: int | None = _f("int")
    pulse_wave_velocity: float | None = _f("number")


@dataclass(frozen=True)
class VO2Max:
    id: str | None = _f("str")
    day: date | None = _f("date")
    vo2_max: float | None = _f("number")
    timestamp: datetime | None = _f("datetime")


@dataclass(frozen=True)
class Workout:
    id: str | None = _f("str")
    day: date | None = _f("date")
    activity: str | None = _f("str")
    calories: float | None = _f("number")
    distance: float | None = _f("number")
    intensity: str | None = _f("str")
    label: str | None = _f("str")
    source: str | None = _f("str")
    start_datetime: datetime | None = _f("datetime")
    end_datetime: datetime | None = _f("datetime")


@dataclass(frozen=True)
class Session:
    id: str | None = _f("str")
    day: date | None = _f("date")
    type: str | None = _f("str")
    mood: str | None = _f("str")
    start_datetime: datetime | None = _f("datetime")
    end_datetime: datetime | None = _f("datetime")
    heart_rate: Mapping[str, Any] | None = _f("mapping")  # a sample: {"items": [...], ...}
    heart_rate_variability: Mapping[str, Any] | None = _f("mapping")


@dataclass(frozen=True)
class EnhancedTag:
    id: str | None = _f("str")
    tag_type_code: str | None = _f("str")
    custom_name: str | None = _f("str")
    comment: str | None = _f("str")
    start_day: date | None = _f("date")
    end_day: date | None = _f("date")
    start_time: datetime | None = _f("datetime")
    end_time: datetime | None = _f("datetime")

    @property
    def day(self) -> date | None:
        return self.start_day


@dataclass(frozen=True)
class SleepTime:
    id: str | None = _f("str")
    day: date | None = _f("date")
    optimal_bedtime: Mapping[str, Any] | None = _f("mapping")
    recommendation: str | None = _f("str")
    status: str | None = _f("str")


@dataclass(frozen=True)
class RestModePeriod:
    id: str | None = _f("str")
    start_day: date | None = _f("date")
    end_day: date | None = _f("date")
    start_time: datetime | None = _f("datetime")
    end_time: datetime | None = _f("datetime")
    episodes: list[Any] = _f("list")

    @property
    def day(self) -> date | None:
        return self.start_day


@dataclass(frozen=True)
class RingConfiguration:
    id: str | None = _f("str")
    color: str | None = _f("str")
    design: str | None = _f("str")
    firmware_version: str | None = _f("str")
    hardware_type: str | None = _f("str")
    set_up_at: datetime | None = _f("datetime")
    size: int | None = _f("int")


@dataclass(frozen=True)
class RingBatteryLevel:
    timestamp: datetime | None = _f("datetime")
    level: int | None = _f("int")
    charging: bool | None = _f("bool")
    in_charger: bool | None = _f("bool")


@dataclass(frozen=True)
class HeartRate:
    timestamp: datetime | None = _f("datetime")
    bpm: int | None = _f("int")
    source: str | None = _f("str")


@dataclass(frozen=True)
class PersonalInfo:
    id: str | None = _f("str")
    email: str | None = _f("str")
    age: int | None = _f("int")
    weight: float | None = _f("number")
    height: float | None = _f("number")
    biological_sex: str | None = _f("str")
