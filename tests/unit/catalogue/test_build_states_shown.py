"""The states and per-day values the catalogue gives for hand-made documents: what a user
sees on an entity (its text, its attributes), which days feed the trends and statistics,
what survives a failed endpoint, and the catalogue table the documentation lists."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, timezone

from oura_addon.catalogue import build_states, catalogue_rows, daily_values, entity_ids
from oura_addon.catalogue.build import _derive as derive_state
from oura_addon.catalogue.derive import Moment, Selection
from oura_addon.catalogue.table import SENSORS
from oura_addon.oura.models import DailyReadiness, DailyResilience, DailySleep
from oura_addon.states import UNKNOWN, EntityState

TODAY = date(2026, 3, 10)
CET = timezone(timedelta(hours=1))
NOW = datetime.combine(TODAY, time(9), CET)
SLEEP_SCORE = next(s for s in SENSORS if s.key == "sleep_score")


def sleep(day: date | None, score: int | None) -> DailySleep:
    return DailySleep(day=day, score=score, timestamp=None)


def _derive(description, records) -> tuple[str, dict]:
    return derive_state(description, records, Moment(TODAY, CET, NOW))


def build(records, **options) -> dict[str, EntityState]:
    return build_states("oura", records, today=TODAY, tz=CET, now=NOW, **options)


# -- the catalogue table -------------------------------------------------------------------


def test_the_catalogue_table_lists_every_entity_with_its_units_and_classes():
    rows = catalogue_rows()
    assert [f"{r['domain']}.oura_{r['key']}" for r in rows] == entity_ids("oura")
    by_key = {r["key"]: r for r in rows}
    assert by_key["steps"] == {
        "key": "steps",
        "domain": "sensor",
        "name": "Steps",
        "endpoint": "daily_activity",
        "unit": "steps",
        "device_class": None,
        "state_class": "total_increasing",
        "entity_category": None,
    }
    # The link sensor is fed by no endpoint.
    assert by_key["connected"] == {
        "key": "connected",
        "domain": "binary_sensor",
        "name": "Connected",
        "endpoint": None,
        "unit": None,
        "device_class": "connectivity",
        "state_class": None,
        "entity_category": "diagnostic",
    }


# -- the states ------------------------------------------------------------------------------


def test_a_score_is_shown_with_its_metadata_and_day():
    state = build({"daily_sleep": [sleep(TODAY, 81)]})["sensor.oura_sleep_score"]
    assert state.state == "81"
    assert state.attributes["friendly_name"] == "Oura Sleep score"
    assert state.attributes["state_class"] == "measurement"
    assert state.attributes["attribution"] == "Data provided by Oura"
    assert state.attributes["day"] == "2026-03-10"
    # A score has no unit nor device class: Home Assistant must not be told one.
    assert "unit_of_measurement" not in state.attributes
    assert "device_class" not in state.attributes
    assert "options" not in state.attributes


def test_an_enum_sensor_lists_its_options_and_a_unit_sensor_its_unit():
    resilience = DailyResilience(day=TODAY, level="solid")
    states = build({"daily_resilience": [resilience]})
    level = states["sensor.oura_resilience_level"]
    assert level.state == "solid"
    assert level.attributes["device_class"] == "enum"
    assert level.attributes["options"] == ["limited", "adequate", "solid", "strong", "exceptional"]
    assert "state_class" not in level.attributes
    duration = states["sensor.oura_total_sleep_duration"]
    assert duration.attributes["unit_of_measurement"] == "h"
    assert duration.attributes["device_class"] == "duration"


def test_an_endpoint_with_no_document_for_any_day_is_unknown_without_a_day():
    state = build({"daily_sleep": [sleep(None, 81)]})["sensor.oura_sleep_score"]
    assert state.state == UNKNOWN
    assert "day" not in state.attributes
    assert state.attributes["friendly_name"] == "Oura Sleep score"


def test_a_value_without_a_day_is_shown_without_one():
    undated = replace(SLEEP_SCORE, selector=lambda records, moment: Selection(None, tuple(records)))
    state, attributes = _derive(undated, [sleep(TODAY, 81)])
    assert state == "81"
    assert "day" not in attributes


def test_on_off_and_times_are_shown_the_way_home_assistant_reads_them():
    def shown(value: object) -> str:
        return _derive(replace(SLEEP_SCORE, value=lambda _s: value), [sleep(TODAY, 1)])[0]

    assert shown(True) == "on"
    assert shown(False) == "off"
    assert shown(None) == UNKNOWN
    # A time without a zone is Home Assistant's local time, one with a zone keeps it.
    assert shown(datetime(2026, 3, 10, 23, 15)) == "2026-03-10T23:15:00+01:00"
    assert shown(datetime(2026, 3, 10, 23, 15, tzinfo=UTC)) == "2026-03-10T23:15:00+00:00"
    assert shown(date(2026, 3, 9)) == "2026-03-09"
    assert shown(7.25) == "7.25"


def test_a_failed_endpoint_keeps_its_previous_states_and_the_others_are_rebuilt():
    previous = {
        "sensor.oura_sleep_score": EntityState("sensor.oura_sleep_score", "70", {"day": "x"}),
        "sensor.oura_readiness_score": EntityState("sensor.oura_readiness_score", "60", {}),
    }
    records = {
        "daily_sleep": [sleep(TODAY, 81)],
        "daily_readiness": [DailyReadiness(day=TODAY, score=90, timestamp=None)],
    }
    states = build(records, previous=previous, failed={"daily_readiness"})
    assert states["sensor.oura_sleep_score"].state == "81"
    assert states["sensor.oura_readiness_score"] is previous["sensor.oura_readiness_score"]
    # A failed endpoint never shown before is built from what there is.
    fresh = build(records, previous={}, failed={"daily_readiness"})
    assert fresh["sensor.oura_readiness_score"].state == "90"
    assert build(records, failed={"daily_sleep"})["sensor.oura_sleep_score"].state == "81"


# -- the days behind trends and statistics ---------------------------------------------------


def test_each_past_day_up_to_today_has_the_value_its_sensor_showed():
    records = {
        "daily_sleep": [
            sleep(TODAY - timedelta(days=2), 70),
            sleep(TODAY, 81),
            sleep(TODAY - timedelta(days=1), None),  # no score that day
            sleep(TODAY + timedelta(days=1), 99),  # not yet
            sleep(None, 50),
        ]
    }
    values = daily_values(records, today=TODAY, tz=CET, sensors=[SLEEP_SCORE])
    assert values == {"sleep_score": {"2026-03-08": 70.0, "2026-03-10": 81.0}}


def test_every_daily_sensor_has_its_days_even_without_documents():
    values = daily_values({}, today=TODAY, tz=CET)
    assert values["sleep_score"] == {}
    assert "steps" in values
