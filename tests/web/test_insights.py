"""The sleep insights in the panel: the JSON API and the account page, in German with German
numbers, from results the real insights engine stored in /data."""

from __future__ import annotations

import dataclasses
from contextlib import contextmanager

import pytest
from flask import Flask

from oura_addon.insights import core
from oura_addon.insights.engine import Insights, relation_to_json
from oura_addon.insights.statistics import NumericStatistic
from oura_addon.store.insights import InsightStore
from oura_addon.web import create_app
from tests.web.conftest import INGRESS, Panel
from tests.web.fakes import connect

GERMAN = {"Accept-Language": "de"}
TEMPERATURE = NumericStatistic("sensor.bedroom_temperature", "Schlafzimmer", "°C")


class StatisticsSession:
    """Home Assistant's websocket as the picker asks it."""

    def command(self, payload):
        assert payload == {"type": "recorder/list_statistic_ids", "statistic_type": "mean"}
        return [
            {"statistic_id": TEMPERATURE.statistic_id, "name": "Schlafzimmer",
             "statistics_unit_of_measurement": "°C"},
            {"statistic_id": "sensor.oura_sleep_score", "name": None},
        ]  # fmt: skip


@contextmanager
def session():
    yield StatisticsSession()


@pytest.fixture
def insights_panel(services, tmp_path) -> tuple[Panel, Insights, InsightStore]:
    connect(services, "alice")
    store = InsightStore(tmp_path)
    engine = Insights(
        store=store,
        accounts=services.accounts,
        oura_client=services.oura_clients,
        session=session,
        timezone=lambda: None,
    )
    bundle = dataclasses.replace(services.bundle(), insights=engine)
    app: Flask = create_app(services.settings, bundle, secret_key=b"k" * 32)
    clear = core.relate(
        TEMPERATURE.statistic_id,
        "sleep_score",
        [(17.5 + i / 10, 88.5 - i / 4) for i in range(40)],
    )
    few = core.relate(TEMPERATURE.statistic_id, "average_hrv", [(18.0, 40.0)] * 5)
    store.save(
        "alice",
        {"results": [relation_to_json(r, TEMPERATURE) for r in (clear, few)]},
    )
    return Panel(app), engine, store


def test_the_relations_are_german_with_german_numbers(insights_panel):
    panel, _, _ = insights_panel
    answer = panel.get("/api/accounts/alice/insights", headers=GERMAN)
    assert answer.status_code == 200
    clear, few = answer.get_json()
    assert clear["measure"] == "sleep_score" and clear["nights"] == 40
    assert clear["interval"][1] < 0 and len(clear["bins"]) == 3
    assert set(clear["bins"][0]) == {"from", "to", "nights", "mean"}
    assert clear["sentence"].startswith(
        "Ein niedrigerer Wert von Schlafzimmer geht mit einem höheren Wert von Schlafwert einher"
    )
    assert "17,5 bis 18,7 °C (13 Nächte)" in clear["sentence"]
    assert "Rangkorrelation -1 über 40 Nächte" in clear["sentence"]
    assert few["sentence"] == (
        "Schlafzimmer und durchschnittliche HRV: noch kein klarer Zusammenhang. Nur 5 Nächte "
        "haben beide Werte; mindestens 14 sind nötig."
    )
    english = panel.get("/api/accounts/alice/insights").get_json()
    assert english[0]["sentence"].startswith("A lower Schlafzimmer goes with a higher sleep")

    page = panel.get("/accounts/alice", headers=GERMAN).get_data(as_text=True)
    assert "Schlaf-Einblicke aus deinem Zuhause" in page
    assert "17,5 bis 18,7 °C (13 Nächte)" in page
    assert 'class="insight-chart"' in page and "13 Nächte</text>" in page
    assert "Noch kein klarer Zusammenhang" in page and "Nur 5 Nächte" in page


def test_the_picker_offers_numeric_statistics_and_refuses_others(insights_panel):
    panel, engine, store = insights_panel
    listed = panel.get("/api/insights/entities").get_json()
    assert listed == {
        "entities": [
            {"entity_id": "sensor.bedroom_temperature", "name": "Schlafzimmer", "unit": "°C",
             "chosen": False}
        ],
        "chosen": [],
    }  # fmt: skip
    refused = panel.post(
        "/api/insights/entities", json={"entity_ids": ["sensor.kitchen"]}, headers=GERMAN
    )
    assert refused.status_code == 400
    assert refused.get_json()["message"].startswith(
        "sensor.kitchen hat keine Langzeitstatistik in Home Assistant"
    )
    assert store.chosen() == []
    assert panel.post("/api/insights/entities", json={"entity_ids": "x"}).status_code == 400
    chosen = panel.post(
        "/api/insights/entities", json={"entity_ids": ["sensor.bedroom_temperature"]}
    )
    assert chosen.get_json() == {"chosen": ["sensor.bedroom_temperature"]}
    assert engine.chosen() == ["sensor.bedroom_temperature"]
    page = panel.get("/accounts/alice").get_data(as_text=True)
    assert 'value="sensor.bedroom_temperature" checked' in page
    assert panel.get("/api/accounts/nobody/insights").status_code == 404


def test_the_panels_picker_form_keeps_the_ticked_sensors(insights_panel):
    panel, engine, _ = insights_panel
    answer = panel.post(
        "/insights/entities",
        data={
            "csrf_token": panel.csrf_token(),
            "account": "alice",
            "next": "account",
            "entity_id": ["sensor.bedroom_temperature"],
        },
        csrf=False,
    )
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/accounts/alice")
    assert engine.chosen() == ["sensor.bedroom_temperature"]
    refused = panel.post(
        "/insights/entities",
        data={"csrf_token": panel.csrf_token(), "account": "alice", "entity_id": ["sensor.x"]},
        csrf=False,
        headers=GERMAN,
    )
    assert refused.status_code == 302
    assert engine.chosen() == ["sensor.bedroom_temperature"]  # nothing lost
    assert refused.headers["Location"].endswith(INGRESS + "/")  # sent from the overview
    page = panel.get("/", headers=GERMAN).get_data(as_text=True)
    assert "sensor.x hat keine Langzeitstatistik" in page
    # With one account the overview is its dashboard, insights included.
    assert "Schlaf-Einblicke aus deinem Zuhause" in page and "17,5 bis 18,7 °C" in page
