"""A value or attribute function that raises on a malformed document makes that one entity
unknown; the other entities of the cycle are built all the same (no recorded data needed)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time

import pytest

from oura_addon.catalogue import build
from oura_addon.catalogue.table import SENSORS
from oura_addon.oura.models import DailySleep
from oura_addon.states import UNKNOWN

DAY = date(2026, 3, 1)
MOMENT = build.Moment(DAY, UTC, datetime.combine(DAY, time(12), UTC))
SLEEP_SCORE = next(s for s in SENSORS if s.key == "sleep_score")
RECORDS = [DailySleep(day=DAY, score=81, timestamp=None)]


def _raises(_selection: object) -> object:
    raise TypeError("a malformed document")


@pytest.mark.parametrize("broken", ["value", "attributes", "selector"])
def test_a_function_that_raises_makes_its_entity_unknown_only(broken: str) -> None:
    state, attributes = build._derive(SLEEP_SCORE, RECORDS, MOMENT)
    assert state == "81" and attributes["day"] == DAY.isoformat()
    if broken == "selector":
        faulty = replace(SLEEP_SCORE, selector=lambda records, moment: _raises(records))
    else:
        faulty = replace(SLEEP_SCORE, **{broken: _raises})
    assert build._derive(faulty, RECORDS, MOMENT) == (UNKNOWN, {})


def test_a_value_that_is_not_a_finite_number_has_no_day_value() -> None:
    selection = build.Selection(DAY, tuple(RECORDS))
    assert build._number((selection, 81)) == 81.0
    assert build._number((selection, float("inf"))) is None
    assert build._number((selection, True)) is None
    assert build._number((selection, "81")) is None
    assert build._number(None) is None
