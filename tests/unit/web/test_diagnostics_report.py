"""The diagnostics file: what a bug report needs, and not one secret.

Every secret is a distinctive marker; the whole document, serialized, must contain none.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from datetime import UTC, datetime
from pathlib import Path

from oura_addon.logs import REDACTED, RecentLines, SecretRedactor
from oura_addon.services import AccountSnapshot, AddonSnapshot, FetchPlan, HomeAssistantState
from oura_addon.settings import Settings
from oura_addon.web.diagnostics_report import (
    AccountFacts,
    DiagnosticsFacts,
    build_diagnostics,
    settings_without_secrets,
)

CLIENT_SECRET = "MARKER-client-secret-5b1f"
SUPERVISOR_TOKEN = "MARKER-supervisor-token-77aa"
MQTT_PASSWORD = "MARKER-mqtt-password-09c3"
ACCESS_TOKEN = "MARKER-access-token-e4d2"
REFRESH_TOKEN = "MARKER-refresh-token-1a8b"
CODE = "MARKER-auth-code-3f60"
EMAIL = "marker.person@example.org"
SECRETS = (CLIENT_SECRET, SUPERVISOR_TOKEN, MQTT_PASSWORD, ACCESS_TOKEN, REFRESH_TOKEN, CODE)
NOW = datetime(2025, 1, 30, 7, 0, tzinfo=UTC)


def settings() -> Settings:
    return Settings(
        data_dir=Path("/data"),
        client_id="app-client-id",
        client_secret=CLIENT_SECRET,
        supervisor_token=SUPERVISOR_TOKEN,
        mqtt_host="broker.local",
        mqtt_username="oura",
        mqtt_password=MQTT_PASSWORD,
        demo=True,
    )


def facts(log_lines: list[str]) -> DiagnosticsFacts:
    snapshot = AccountSnapshot(
        name="oura",
        entity_prefix="oura",
        last_sync=NOW,
        last_error=f"Oura refused the token {ACCESS_TOKEN}.",
        endpoint_errors={"daily_stress": f"403 for {EMAIL}", "heartrate": "rate limited"},
        schedule=(FetchPlan("night", "Last night", NOW, "night_arrived", "next check at 08:00"),),
    )
    return DiagnosticsFacts(
        generated_at=NOW,
        addon_version="9.9.9",
        settings=settings(),
        credentials={"client_id": "app-client-id", "source": "options", "has_secret": True},
        home_assistant={"version": "2026.11.0", "language": "de"},
        publisher=AddonSnapshot(HomeAssistantState.CONNECTED, "http://supervisor/core/api", NOW),
        accounts=[
            AccountFacts(
                name="oura",
                entity_prefix="oura",
                connection="connected",
                email=EMAIL,
                auth_error=None,
                scopes=("daily", "heartrate", "personal"),
                token_expires_at=NOW,
                snapshot=snapshot,
            )
        ],
        log_lines=log_lines,
    )


def redactor() -> SecretRedactor:
    known = SecretRedactor([CLIENT_SECRET, SUPERVISOR_TOKEN, MQTT_PASSWORD])
    known.add(ACCESS_TOKEN, REFRESH_TOKEN)  # as the token store registers them
    return known


def log_lines() -> list[str]:
    """A real logger through a real RecentLines handler, with secrets in every shape."""
    recent = RecentLines(200)
    recent.addFilter(redactor())
    logger = logging.getLogger("tests.diagnostics")
    logger.addHandler(recent)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    try:
        logger.info("exchanging code=%s for tokens", CODE)
        logger.debug("refresh with refresh_token=%s", REFRESH_TOKEN)
        logger.warning("Authorization: Bearer %s", ACCESS_TOKEN)
        logger.info("connected as %s", EMAIL)
    finally:
        logger.removeHandler(recent)
    return recent.lines()


def test_no_secret_reaches_the_file() -> None:
    document = build_diagnostics(facts(log_lines()), redact=redactor().redact)
    text = json.dumps(document)
    for secret in (*SECRETS, EMAIL):
        assert secret not in text, secret
    assert document["settings"]["client_secret"] == REDACTED
    assert document["settings"]["supervisor_token"] == REDACTED
    assert document["settings"]["mqtt_password"] == REDACTED
    assert document["accounts"][0]["email"] == REDACTED


def test_the_email_is_in_the_file_only_when_the_user_ticks_it() -> None:
    document = build_diagnostics(facts(log_lines()), redact=redactor().redact, include_email=True)
    text = json.dumps(document)
    assert document["accounts"][0]["email"] == EMAIL
    assert f"connected as {EMAIL}" in text
    for secret in SECRETS:
        assert secret not in text, secret


def test_the_file_has_what_a_bug_report_needs() -> None:
    document = build_diagnostics(facts(log_lines()), redact=redactor().redact)
    assert document["addon"] == {"version": "9.9.9", "simulator": True}
    assert document["home_assistant"]["version"] == "2026.11.0"
    assert document["settings"]["poll_interval_minutes"] == 10
    assert document["settings"]["mqtt_host"] == "broker.local"
    assert document["settings"]["data_dir"] == "/data"
    account = document["accounts"][0]
    assert account["connection"] == "connected"
    assert account["granted_scopes"] == ["daily", "heartrate", "personal"]
    assert account["last_sync"] == NOW.isoformat()
    assert set(account["endpoint_errors"]) == {"daily_stress", "heartrate"}
    assert account["schedule"][0]["reason"] == "night_arrived"
    assert document["publisher"]["home_assistant"] == "connected"
    assert document["publisher"]["publish_mode"] == "auto"
    assert len(document["log"]) == 4 and "exchanging code=" in document["log"][0]
    json.dumps(document)  # plain JSON all the way down


def test_every_setting_declared_secret_is_blanked_by_name() -> None:
    # A secret field added later (repr=False) is covered without touching the builder.
    blanked = {k for k, v in settings_without_secrets(settings()).items() if v == REDACTED}
    assert blanked == {"client_secret", "supervisor_token", "mqtt_password"}
    assert settings_without_secrets(Settings())["client_secret"] is None  # not set: says so


def test_the_log_buffer_keeps_only_the_last_lines() -> None:
    recent = RecentLines(3)
    logger = logging.getLogger("tests.diagnostics.bounded")
    logger.addHandler(recent)
    logger.propagate = False
    try:
        for number in range(10):
            logger.warning("line %d", number)
    finally:
        logger.removeHandler(recent)
    assert [line.rsplit(" ", 1)[-1] for line in recent.lines()] == ["7", "8", "9"]


def test_the_file_carries_the_panel_s_problems_webhooks_and_insights_without_secrets() -> None:
    relation = {
        "entity_id": "sensor.bedroom_temperature",
        "entity_name": "Bedroom temperature",
        "measure": "sleep_score",
        "nights": 40,
        "correlation": -0.61,
        "interval": [-0.78, -0.37],
        "clear": True,
        "bins": [{"from": 17.0, "to": 18.5, "nights": 13, "mean": 84.2}],
        "sentence": {"msgid": "Cooler nights go with a better sleep score."},
    }
    document = build_diagnostics(
        dataclasses.replace(
            facts(log_lines()),
            problems=(
                "This machine's clock reads 12/3/26, 8:00 PM while Oura's reads 12/6/26, 8:00 PM.",
                f"Oura refused the token {ACCESS_TOKEN}.",
            ),
            webhooks={
                "state": "active",
                "url": "https://oura.example.com/webhook",
                "subscriptions": [{"data_type": "daily_sleep", "event_type": "create"}],
                "last_event": NOW,
                "verified": True,
                "message": "Oura pushes new data to this add-on; polling is only a safety net.",
            },
            insights={
                "chosen": ["sensor.bedroom_temperature"],
                "accounts": {"oura": [relation]},
            },
        ),
        redact=redactor().redact,
    )
    assert document["problems"][0].startswith("This machine's clock reads")
    assert ACCESS_TOKEN not in json.dumps(document)
    assert document["webhooks"]["state"] == "active"
    assert document["webhooks"]["last_event"] == NOW.isoformat()
    assert document["insights"] == {
        "chosen": ["sensor.bedroom_temperature"],
        "accounts": {
            "oura": [
                {
                    "entity_id": "sensor.bedroom_temperature",
                    "measure": "sleep_score",
                    "nights": 40,
                    "correlation": -0.61,
                    "interval": [-0.78, -0.37],
                    "clear": True,
                }
            ]
        },
    }


def test_without_webhooks_or_insights_the_file_says_so_with_null() -> None:
    document = build_diagnostics(facts(log_lines()), redact=redactor().redact)
    assert document["webhooks"] is None
    assert document["insights"] is None
    assert document["problems"] == []
