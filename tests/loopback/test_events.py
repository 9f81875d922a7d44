"""Core-API mode's moments: events on Home Assistant's bus through the REST API (a stand-in
over loopback), kept for later while Home Assistant is away."""

from __future__ import annotations

from datetime import UTC, date, datetime

from oura_addon.catalogue.events import NIGHT, WORKOUT
from oura_addon.homeassistant.modes import CORE_API, Publishing
from oura_addon.homeassistant.publisher import CoreApiPublisher
from oura_addon.scheduling.announcements import Announcements
from oura_addon.states import EntityState
from oura_addon.store.moments import MomentStore
from tests.loopback.test_publisher import fake_ha, make_client  # noqa: F401  (fixture)


def core_api(fake, tmp_path) -> Publishing:
    client = make_client(fake)
    return Publishing(
        CoreApiPublisher(client, tmp_path / "published.json"),
        CORE_API,
        CORE_API,
        None,
        None,
        client,
    )


def test_a_moment_is_an_event_on_the_bus_with_the_account(fake_ha, tmp_path):  # noqa: F811
    publishing = core_api(fake_ha, tmp_path)
    assert publishing.announce("oura", WORKOUT, {"id": "w1", "activity": "running"}) is True
    assert fake_ha.events == [
        ("oura_workout_recorded", {"account": "oura", "id": "w1", "activity": "running"})
    ]
    publishing.on_sync_pressed(lambda account: None)  # no button in this mode: nothing to do


def test_an_event_waits_while_home_assistant_is_away_and_goes_once_it_is_back(
    fake_ha,  # noqa: F811
    tmp_path,
):
    publishing = core_api(fake_ha, tmp_path)
    today = date(2026, 12, 3)
    now = datetime(2026, 12, 3, 8, tzinfo=UTC).timestamp()
    announcements = Announcements(MomentStore(tmp_path), publishing.announce, clock=lambda: now)
    night = {
        f"sensor.oura_{key}": _state(f"sensor.oura_{key}", value)
        for key, value in (("sleep_score", "80"), ("readiness_score", "66"))
    } | {"sensor.oura_total_sleep_duration": _state("sensor.oura_total_sleep_duration", "7.2")}
    announcements.after_sync("oura", "oura", {}, {}, today)  # connecting
    fake_ha.stop()
    assert announcements.after_sync("oura", "oura", night, {}, today) == 1
    fake_ha.start()
    assert fake_ha.events == []
    announcements.deliver_all(["oura"])
    ((event_type, data),) = fake_ha.events
    assert event_type == NIGHT.bus_event == "oura_night_ready"
    assert data["account"] == "oura" and data["sleep_score"] == 80 and data["day"] == "2026-12-03"
    announcements.deliver_all(["oura"])
    assert len(fake_ha.events) == 1


def _state(entity_id: str, value: str) -> EntityState:
    return EntityState(entity_id, value, {"day": "2026-12-03"})
