"""What the panel's page shows about an account beyond its sign-in: the history import only
for what it imports (and only with a Home Assistant to import into), one way of writing
values, and buttons that fit the account's state."""

from __future__ import annotations

import re
from dataclasses import replace

from oura_addon.oura.tokens import TokenSet
from oura_addon.services import HomeAssistantState
from oura_addon.states import EntityState
from tests.web.conftest import Panel
from tests.web.fakes import ACCESS_TOKEN, REFRESH_TOKEN, FakeServices, connect
from tests.web.test_pages import PanelFactory, page

NOT_SPO2 = tuple(
    s
    for s in (
        "email",
        "personal",
        "daily",
        "heartrate",
        "workout",
        "tag",
        "session",
        "ring_configuration",
        "stress",
        "heart_health",
    )
)


def test_groups_oura_did_not_grant_are_shown_as_skipped(
    panel: Panel, services: FakeServices
) -> None:
    connect(services, "oura")
    services.accounts.stored_tokens["oura"] = TokenSet(
        ACCESS_TOKEN, REFRESH_TOKEN, 4_000_000_000.0, scopes=NOT_SPO2, scopes_known=True
    )
    assert panel.post("/api/accounts/oura/history", json={}).status_code == 202
    html = page(panel)
    spo2 = re.search(r'<li data-group="spo2" data-not-granted>(.*?)</li>', html, re.S)
    assert spo2 and "not granted: skipped" in spo2.group(1) and "<progress" not in spo2.group(1)
    stress = re.search(r'<li data-group="stress">(.*?)</li>', html, re.S)
    assert stress and "<progress" in stress.group(1)
    history = panel.get("/api/status").get_json()["accounts"][0]["history"]
    assert history["not_granted"] == ["spo2"]


def test_without_home_assistant_nothing_claims_to_be_imported_or_posted(
    panel_for: PanelFactory,
) -> None:
    services, panel = panel_for(demo=True)
    services.sync.home_assistant = HomeAssistantState.NOT_CONFIGURED
    connect(services, "oura")
    html = page(panel)
    assert "nowhere to import the history to" in html
    assert "data-history-form" not in html and ">Import history</button>" not in html
    assert 'id="publish-status"' not in html


def test_the_start_date_picker_offers_no_future_day(panel: Panel, services: FakeServices) -> None:
    connect(services, "oura")  # the account's today is 2025-01-30
    assert re.search(r'<input[^>]*type="date"[^>]*max="2025-01-29"', page(panel))


def test_a_timestamp_sensor_is_written_as_the_locale_writes_a_time(
    panel: Panel, services: FakeServices
) -> None:
    connect(services, "oura")
    snapshot = services.sync.snapshots["oura"]
    bedtime = EntityState(
        "sensor.oura_bedtime_start",
        "2026-12-03T23:18:33+02:00",
        {"friendly_name": "Oura Bedtime start", "device_class": "timestamp"},
    )
    services.sync.snapshots["oura"] = replace(snapshot, states=(*snapshot.states, bedtime))
    english = page(panel)
    assert "12/3/26, 11:18\u202fPM" in english
    german = panel.get("/", headers={"Accept-Language": "de"}).get_data(True)
    assert "03.12.26, 23:18" in german and "7 Std. 24 Min." in german
    for html in (english, german):
        assert ">2026-12-03T23:18:33+02:00<" not in html
        assert "7.4 h" not in html and "7,4 h" not in html


def test_a_never_connected_account_offers_connect_and_remove_only(
    panel: Panel, services: FakeServices
) -> None:
    services.accounts.create("oura")
    html = page(panel)
    card = re.search(r'<section class="card account" data-account="oura".*?</section>', html, re.S)
    assert card
    buttons = re.findall(r"<button[^>]*>([^<]+)</button>", card.group(0))
    assert "Sync now" not in buttons and "Disconnect" not in buttons
    assert "Connect" in buttons and "Remove" in buttons


def test_addresses_offer_line_breaks_only_after_slash_question_mark_and_ampersand(
    panel: Panel,
) -> None:
    html = page(panel)
    match = re.search(r'<code id="redirect-uri" class="address">(.*?)</code>', html)
    assert match
    for piece in match.group(1).split("<wbr>"):
        assert piece.endswith(("/", "?", "&amp;")) or piece == "callback"


def test_without_a_history_import_the_api_says_there_is_nowhere_to_import(
    tmp_path, services: FakeServices
) -> None:
    from oura_addon.web import create_app

    connect(services, "oura")
    bundle = replace(services.bundle(), history=None)  # no Home Assistant: no import at all
    panel = Panel(create_app(services.settings, bundle, secret_key=b"k" * 32))
    answer = panel.post("/api/accounts/oura/history", json={})
    assert answer.status_code == 503
    assert answer.get_json()["message"] == (
        "No Home Assistant is connected, so there is nowhere to import the history to."
    )
    german = panel.post(
        "/api/accounts/oura/history", json={}, headers={"Accept-Language": "de"}
    ).get_json()["message"]
    assert german.startswith("Kein Home Assistant ist verbunden")
