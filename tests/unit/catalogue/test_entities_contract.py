"""Every entity users already have keeps what they see and what their history relies on:
its id, name, unit, classes, icon, the document rule that feeds it and where the panel
shows it (``entities.json``). New entities may be added freely; changing or removing one
of these means editing that file on purpose (and a CHANGELOG line: dashboards and
long-term statistics depend on it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oura_addon.catalogue.table import CONNECTED, SENSORS

KNOWN = json.loads((Path(__file__).parent / "entities.json").read_text(encoding="utf-8"))
CURRENT = {s.key: s for s in (*SENSORS, CONNECTED)}


def _shown(description) -> dict:
    return {
        "name": description.name,
        "endpoint": description.endpoint,
        "unit": description.unit,
        "device_class": description.device_class,
        "state_class": description.state_class,
        "icon": description.icon,
        "domain": description.domain,
        "options": list(description.options),
        "entity_category": description.entity_category,
        "selector": getattr(description.selector, "__name__", repr(description.selector)),
        "trend": None if description.trend is None else str(description.trend),
        "headline": None if description.headline is None else str(description.headline),
        "statistic": description.statistic,
    }


@pytest.mark.parametrize("key", sorted(KNOWN))
def test_an_existing_entity_keeps_what_users_rely_on(key: str) -> None:
    assert key in CURRENT, f"{key} was removed: users' automations and history name it"
    assert _shown(CURRENT[key]) == KNOWN[key]


@pytest.mark.parametrize(("label", "start"), [(None, "Oura "), ("Work", "Oura Work ")])
def test_core_api_states_carry_the_metadata_home_assistant_records_by(label, start) -> None:
    from datetime import UTC, date, datetime

    from oura_addon.catalogue import build_states

    day = date(2026, 3, 1)
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    states = build_states("p", {}, today=day, tz=UTC, now=now, account_label=label)
    for description in SENSORS:
        attributes = states[description.entity_id("p")].attributes
        assert attributes["friendly_name"] == start + description.name
        assert attributes["icon"] == description.icon
        for key, value in (
            ("unit_of_measurement", description.unit),
            ("device_class", description.device_class),
            ("state_class", description.state_class),
        ):
            if value is None:
                assert key not in attributes, (description.key, key)
            else:
                assert attributes[key] == value, (description.key, key)
