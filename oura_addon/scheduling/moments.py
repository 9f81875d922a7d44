"""Which of Oura's moments happened: pure functions, no I/O, no clock.

A sync's states and documents plus what was announced before in, the new moments and the
memory after them out. The rules:

- each document fires once, ever: its id is remembered (a revised document keeps its id);
- the night fires once per day, when its main sleep, daily sleep and daily readiness are all
  in (their sensors' ``day`` is today);
- what was there before the add-on first heard of a kind (a newly connected account, a scope
  granted later, an upgrade) is remembered without firing: connecting never fires the past;
- documents of days before yesterday never fire (reconciles and backfills reach back a week
  or more); so the memory only needs the last ``KEEP_DAYS`` days, at most ``MAX_IDS`` ids.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from oura_addon.catalogue.events import NIGHT, SESSION, TAG, WORKOUT, EventDescription
from oura_addon.states import UNKNOWN, EntityState

# Documents of today and yesterday fire (a workout synced from the phone the next morning).
FIRE_DAYS = 2
# Ids are kept this long: longer than FIRE_DAYS, so nothing still able to fire is forgotten.
KEEP_DAYS = 10
MAX_IDS = 1000
# The sensors that must all show today's value before the night is ready.
NIGHT_SENSORS = ("sleep_score", "readiness_score", "total_sleep_duration")
DOCUMENT_EVENTS = (WORKOUT, SESSION, TAG)


@dataclass(frozen=True)
class Moment:
    event: EventDescription
    id: str  # what the memory keeps: "<event key>:<document id or day>"
    day: date
    attributes: Mapping[str, Any]

    def payload(self) -> dict[str, Any]:
        """The event's data: its attributes and its day (ISO)."""
        return {**self.attributes, "day": self.day.isoformat()}


@dataclass(frozen=True)
class Memory:
    """What was announced (id -> its day) and which kinds have a baseline."""

    announced: Mapping[str, date] = field(default_factory=dict)
    baselined: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Found:
    moments: tuple[Moment, ...]
    memory: Memory


def new_moments(
    memory: Memory,
    *,
    prefix: str,
    states: Mapping[str, EntityState],
    documents: Mapping[str, Sequence[Any]],
    today: date,
) -> Found:
    """The moments of one sync. ``states``: the account's states after it (entity id ->
    state); ``documents``: endpoint -> the documents it answered (absent: not asked)."""
    candidates: list[tuple[EventDescription, Moment]] = []
    baselined = set(memory.baselined)
    fresh: set[str] = set()  # kinds heard of for the first time: remembered, never fired
    night = night_moment(prefix, states, today)
    if NIGHT.key not in baselined:
        fresh.add(NIGHT.key)
    if night is not None:
        candidates.append((NIGHT, night))
    oldest_firing = today - timedelta(days=FIRE_DAYS - 1)
    for event in DOCUMENT_EVENTS:
        if event.endpoint not in documents:
            continue
        if event.key not in baselined:
            fresh.add(event.key)
        for document in documents[event.endpoint]:
            moment = document_moment(event, document)
            if moment is not None and oldest_firing <= moment.day <= today:
                candidates.append((event, moment))
    announced = dict(memory.announced)
    fired: list[Moment] = []
    for event, moment in candidates:
        if moment.id in announced:
            continue
        announced[moment.id] = moment.day
        if event.key not in fresh:
            fired.append(moment)
    kept = trimmed(announced, today)
    return Found(tuple(fired), Memory(kept, frozenset(baselined | fresh)))


def trimmed(announced: Mapping[str, date], today: date) -> dict[str, date]:
    """The ids of the last KEEP_DAYS days, at most MAX_IDS (the newest days kept)."""
    oldest = today - timedelta(days=KEEP_DAYS)
    recent = sorted(((i, d) for i, d in announced.items() if d >= oldest), key=lambda pair: pair[1])
    return dict(recent[-MAX_IDS:])


# -- the night ---------------------------------------------------------------------------------


def night_moment(prefix: str, states: Mapping[str, EntityState], today: date) -> Moment | None:
    """Today's night, once all of NIGHT_SENSORS show today's value; with the headline numbers."""
    for key in NIGHT_SENSORS:
        if _todays_number(states.get(f"sensor.{prefix}_{key}"), today) is None:
            return None
    attributes = {
        key: _todays_number(states.get(f"sensor.{prefix}_{key}"), today) for key in NIGHT.attributes
    }
    return Moment(NIGHT, f"{NIGHT.key}:{today.isoformat()}", today, attributes)


def _todays_number(state: EntityState | None, today: date) -> float | int | None:
    if state is None or state.state == UNKNOWN or state.attributes.get("day") != today.isoformat():
        return None
    try:
        number = float(state.state)
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    return int(number) if number.is_integer() else number


# -- documents -----------------------------------------------------------------------------------


def document_moment(event: EventDescription, document: Any) -> Moment | None:
    """One workout, session or tag as a moment; None without a day or anything to know it by."""
    day = getattr(document, "day", None)
    start = getattr(document, "start_datetime", None) or getattr(document, "start_time", None)
    identity = getattr(document, "id", None) or (start.isoformat() if start else None)
    if not isinstance(day, date) or not identity:
        return None
    if event is WORKOUT:
        attributes = _workout(document)
    elif event is SESSION:
        attributes = _session(document)
    else:
        attributes = _tag(document)
    return Moment(event, f"{event.key}:{identity}", day, {"id": identity} | attributes)


def _iso(moment: datetime | date | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _rounded(value: float | None, digits: int) -> float | int | None:
    if value is None:
        return None
    rounded = round(value, digits)
    return int(rounded) if digits == 0 else rounded


def _workout(workout: Any) -> dict[str, Any]:
    return {
        "activity": workout.activity,
        "intensity": workout.intensity,
        "calories": _rounded(workout.calories, 0),
        "distance": _rounded(workout.distance, 0),
        "start": _iso(workout.start_datetime),
        "end": _iso(workout.end_datetime),
        "source": workout.source,
    }


def _session(session: Any) -> dict[str, Any]:
    return {
        "type": session.type,
        "mood": session.mood,
        "start": _iso(session.start_datetime),
        "end": _iso(session.end_datetime),
        "average_heart_rate": sample_average(session.heart_rate),
        "average_hrv": sample_average(session.heart_rate_variability),
    }


def _tag(tag: Any) -> dict[str, Any]:
    return {
        "code": tag.tag_type_code,
        "custom_name": tag.custom_name,
        "start": _iso(tag.start_time or tag.start_day),
        "end": _iso(tag.end_time or tag.end_day),
        "comment": tag.comment,
    }


def sample_average(sample: Mapping[str, Any] | None) -> float | None:
    """The mean of an Oura sample's ``items`` (nulls skipped), one decimal; None if none."""
    items = sample.get("items") if isinstance(sample, Mapping) else None
    if not isinstance(items, list):
        return None
    numbers = [
        float(v)
        for v in items
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
    ]
    return round(sum(numbers) / len(numbers), 1) if numbers else None
