"""Oura answers we have not seen: every recorded document with one field missing, null or of
the wrong type still parses, builds the sensors and the day's values, and keeps every other
field. One odd value must cost that value only, never the sync."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import fields
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from oura_addon import catalogue
from oura_addon.oura.models import parse_record
from tests.oura.test_recorded_responses import _documents_recorded

HELSINKI = ZoneInfo("Europe/Helsinki")
MISSING = object()
# JSON's Infinity and NaN are what Python's parser reads for a non-standard number.
DAMAGES = (
    *(MISSING, None, "garbage", [], {}, -1, True, "2025-13-45", "2025-01-01T99:00"),
    *(1e308, 10**400, float("inf"), float("nan")),
)


def _paths(document: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key of the document, nested ones too (a list's first item stands for all)."""
    if isinstance(document, dict):
        for key, value in document.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))
    elif isinstance(document, list) and document:
        yield (*prefix, 0)
        yield from _paths(document[0], (*prefix, 0))


def _damaged(document: dict[str, Any], path: tuple[Any, ...], damage: object) -> dict[str, Any]:
    copied = copy.deepcopy(document)
    parent: Any = copied
    for step in path[:-1]:
        parent = parent[step]
    if damage is MISSING and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = None if damage is MISSING else damage
    return copied


# Fields that say which day or document a record is: without them no sensor can use it.
KEY_FIELDS = frozenset({"day", "timestamp", "id", "bedtime_start", "bedtime_end", "type"})


@pytest.mark.parametrize(("endpoint", "documents"), _documents_recorded())
def test_one_damaged_field_costs_that_field_only(endpoint, documents) -> None:
    now = datetime.now(UTC)
    for document in documents[:2]:
        intact = parse_record(endpoint.record, document)
        intact_day = getattr(intact, "day", None)
        intact_states = catalogue.build_states(
            "oura",
            {endpoint.name: [intact]},
            today=intact_day if isinstance(intact_day, date) else date(2025, 1, 1),
            tz=HELSINKI,
            now=now,
        )
        for path in _paths(document):
            for damage in DAMAGES:
                record = parse_record(endpoint.record, _damaged(document, path, damage))
                kept = [f.name for f in fields(record) if f.name != path[0]]
                assert [getattr(record, n) for n in kept] == [getattr(intact, n) for n in kept]
                day = getattr(record, "day", None)
                today = day if isinstance(day, date) else date(2025, 1, 1)
                records = {endpoint.name: [record]}
                states = catalogue.build_states("oura", records, today=today, tz=HELSINKI, now=now)
                assert states.keys() == intact_states.keys()
                # One field feeds a few sensors: damaging it never blanks every sensor the
                # record feeds (but the fields that say which day it is, or which document).
                known = [e for e, st in intact_states.items() if st.state != "unknown"]
                changed = [e for e in known if states[e].state != intact_states[e].state]
                if len(known) > 1 and path[0] not in KEY_FIELDS:
                    assert len(changed) < len(known), (
                        f"{endpoint.name}: damaging {path} blanked all {len(known)} sensors"
                    )
