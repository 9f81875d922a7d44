"""The panel says per account when each group of data is next fetched, and why."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from oura_addon.services import FetchPlan
from tests.web.conftest import Panel
from tests.web.fakes import FakeServices, connect

PLANS = (
    FetchPlan(
        "night",
        "Last night (sleep, readiness, SpO2)",
        datetime(2025, 1, 30, 7, 1, tzinfo=UTC),
        "waiting_for_night",
        "waiting for last night's sleep (usually arrives 06:40-08:10); next check at 07:01",
    ),
    FetchPlan(
        "daytime",
        "Daytime (activity, stress, heart rate)",
        datetime(2025, 1, 30, 8, 0, tzinfo=UTC),
        "asleep",
        "you are probably asleep; next check at 08:00",
    ),
)


def with_schedule(services: FakeServices, name: str) -> None:
    connect(services, name)
    services.sync.snapshots[name] = replace(services.sync.snapshots[name], schedule=PLANS)


def test_status_lists_each_groups_next_fetch_and_reason(panel: Panel, services: FakeServices):
    with_schedule(services, "oura")
    (account,) = panel.get("/api/status").get_json()["accounts"]
    assert account["schedule"] == [
        {
            "group": "night",
            "label": "Last night (sleep, readiness, SpO2)",
            "next_fetch": "2025-01-30T07:01:00+00:00",
            "reason": "waiting_for_night",
            "message": PLANS[0].message,
        },
        {
            "group": "daytime",
            "label": "Daytime (activity, stress, heart rate)",
            "next_fetch": "2025-01-30T08:00:00+00:00",
            "reason": "asleep",
            "message": PLANS[1].message,
        },
    ]


def test_the_account_card_shows_the_lines_the_script_updates(panel: Panel, services: FakeServices):
    with_schedule(services, "oura")
    html = panel.get("/").get_data(True)
    assert '<dd data-field="schedule-night">waiting for last night&#39;s sleep' in html
    assert "Daytime (activity, stress, heart rate)" in html
    script = panel.get("/static/panel.js").get_data(True)
    assert '"schedule-" + plan.group' in script
