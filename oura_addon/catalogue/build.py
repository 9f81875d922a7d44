"""Records in, desired entity states out: the catalogue applied to one account's data."""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, datetime, time, tzinfo
from typing import Any

from oura_addon.catalogue.derive import Moment, Selection, day_of, plain
from oura_addon.catalogue.table import CONNECTED, DAILY_SENSORS, SENSORS, SensorDescription
from oura_addon.states import UNKNOWN, EntityState

ATTRIBUTION = "Data provided by Oura"


def entity_ids(prefix: str) -> list[str]:
    """Every entity the catalogue can publish for one account (to delete on disconnect)."""
    return [description.entity_id(prefix) for description in (*SENSORS, CONNECTED)]


def catalogue_rows() -> list[dict[str, Any]]:
    """One row per entity, for documentation and the panel."""
    return [
        {
            "key": description.key,
            "domain": description.domain,
            "name": description.name,
            "endpoint": description.endpoint or None,
            "unit": description.unit,
            "device_class": description.device_class,
            "state_class": description.state_class,
            "entity_category": description.entity_category,
        }
        for description in (*SENSORS, CONNECTED)
    ]


def build_states(
    prefix: str,
    records: Mapping[str, Sequence[Any]],
    *,
    today: date,
    tz: tzinfo,
    now: datetime,
    account_label: str | None = None,
    previous: Mapping[str, EntityState] | None = None,
    failed: Collection[str] = (),
) -> dict[str, EntityState]:
    """The state of every catalogue entity (entity_id -> state).

    ``records`` maps endpoint name -> parsed records; a missing endpoint (not granted, or
    failed) gives ``unknown``. An endpoint named in ``failed`` keeps its ``previous`` states
    so a transient error does not blank the dashboard.
    """
    moment = Moment(today=today, tz=tz, now=now)
    previous = previous or {}
    states: dict[str, EntityState] = {}
    for description in SENSORS:
        entity_id = description.entity_id(prefix)
        if description.endpoint in failed and entity_id in previous:
            states[entity_id] = previous[entity_id]
            continue
        state, extra = _derive(description, records.get(description.endpoint), moment)
        attributes = {**_metadata(description, account_label), **extra}
        states[entity_id] = EntityState(entity_id, state, attributes)
    return states


def connected_state(
    prefix: str,
    connected: bool,
    *,
    reason: str | None,
    email: str | None,
    account_label: str | None = None,
) -> EntityState:
    """``binary_sensor.<prefix>_connected``: is this account's Oura link working."""
    attributes = _metadata(CONNECTED, account_label)
    if email:
        attributes["email"] = email
    if reason:
        attributes["reason"] = reason
    entity_id = CONNECTED.entity_id(prefix)
    return EntityState(entity_id, "on" if connected else "off", attributes)


def daily_values(
    records: Mapping[str, Sequence[Any]],
    *,
    today: date,
    tz: tzinfo,
    sensors: Iterable[SensorDescription] = DAILY_SENSORS,
) -> dict[str, dict[str, float]]:
    """Per sensor key, the number each day up to ``today`` had (ISO day -> value).

    A day's value is what the sensor showed on that day: its own selector and value
    function applied to that day's documents. This is the only day rule; the trends, the
    headline numbers and the statistics all read it, so they never disagree with the sensor.
    """
    values: dict[str, dict[str, float]] = {}
    for description in sensors:
        by_day: dict[date, list[Any]] = {}
        for record in records.get(description.endpoint, ()):
            day = day_of(record)
            if day is not None and day <= today:
                by_day.setdefault(day, []).append(record)
        days: dict[str, float] = {}
        for day, documents in sorted(by_day.items()):
            moment = Moment(day, tz, datetime.combine(day, time.max, tz))
            number = _number(_evaluate(description, documents, moment))
            if number is not None:
                days[day.isoformat()] = number
        values[description.key] = days
    return values


def _number(evaluated: tuple[Selection, Any] | None) -> float | None:
    value = evaluated[1] if evaluated is not None else None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _evaluate(
    description: SensorDescription, records: Sequence[Any], moment: Moment
) -> tuple[Selection, Any] | None:
    """The selection and value of one sensor; None when there is nothing to show."""
    try:
        selection = description.selector(records, moment)
        if selection is None:
            return None
        return selection, description.value(selection)
    except (TypeError, ValueError, ArithmeticError, AttributeError):
        # A malformed document makes this one entity unknown, never the whole cycle.
        return None


def _derive(
    description: SensorDescription, records: Sequence[Any] | None, moment: Moment
) -> tuple[str, dict[str, Any]]:
    evaluated = _evaluate(description, records, moment) if records is not None else None
    if evaluated is None:
        return UNKNOWN, {}
    selection, value = evaluated
    try:
        extra = dict(description.attributes(selection)) if description.attributes else {}
    except (TypeError, ValueError, ArithmeticError, AttributeError):
        return UNKNOWN, {}
    if selection.day is not None:
        extra["day"] = selection.day.isoformat()
    return _format(value, moment), extra


def _format(value: Any, moment: Moment) -> str:
    if value is None:
        return UNKNOWN
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=moment.tz)
        return aware.isoformat()
    return str(plain(value))


def _metadata(description: SensorDescription, account_label: str | None) -> dict[str, Any]:
    """The attributes Home Assistant reads to show and record an entity."""
    label = f"Oura {account_label} " if account_label else "Oura "
    attributes: dict[str, Any] = {
        "friendly_name": label + description.name,
        "icon": description.icon,
        "attribution": ATTRIBUTION,
    }
    if description.unit is not None:
        attributes["unit_of_measurement"] = description.unit
    if description.device_class is not None:
        attributes["device_class"] = description.device_class
    if description.state_class is not None:
        attributes["state_class"] = description.state_class
    if description.options:
        attributes["options"] = list(description.options)
    return attributes
