"""Error sentences a user reads (settings problems, sign-in answers, account names, app
credentials, Home Assistant's websocket, Oura's answers) reach the panel in its language.

Each case makes the real code produce its sentence, then shows it in German: it must differ
from the English one and still carry its values.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from oura_addon.errors import AddonError, user_message
from oura_addon.homeassistant.rest import HomeAssistantClient
from oura_addon.homeassistant.websocket import WebSocketError, connect
from oura_addon.i18n import Catalogues, Text, stored_text
from oura_addon.oura.client import error_for
from oura_addon.oura.oauth import CallbackParams, oauth_error_for
from oura_addon.settings import load_settings
from oura_addon.states import EntityState
from oura_addon.store.accounts import REFUSED_MESSAGE, validate_name
from oura_addon.store.credentials import AppCredentialsStore
from oura_addon.web.oauth_state import PendingAuthorizations

GERMAN = Catalogues().translator("de")


def german(sentence: str) -> str:
    """``sentence`` as the German panel shows it; fails when it would stay English."""
    assert isinstance(sentence, Text), f"not marked for translation: {sentence!r}"
    shown = GERMAN.text(sentence)
    assert shown != str(sentence), f"shown in English: {sentence!r}"
    return shown


def error_of(action: Callable[[], object]) -> AddonError:
    with pytest.raises(AddonError) as caught:
        action()
    return caught.value


def settings_with(tmp_path: Path, options: object, **env: str) -> tuple[str, ...]:
    (tmp_path / "options.json").write_text(json.dumps(options))
    return load_settings({"OURA_ADDON_DATA": str(tmp_path), **env}).problems


# --- settings problems ---------------------------------------------------------------------


def test_every_option_problem_is_shown_in_german(tmp_path: Path) -> None:
    problems = settings_with(
        tmp_path,
        {
            "poll_interval": 0,
            "history_days": "many",
            "client_id": 7,
            "log_level": "loud",
            "publish_mode": "carrier pigeon",
            "portal": "old",
        },
        OURA_API_URL="ftp://example",
        OURA_ADDON_PORT="eighty",
    )
    shown = {p: german(p) for p in problems}
    assert len(shown) == 8, problems
    assert "Die Option poll_interval=0 liegt außerhalb von 1..1440" in " ".join(shown.values())
    assert any("history_days muss eine ganze Zahl von 1 bis 5000" in s for s in shown.values())
    assert any("log_level" in s and "debug, info, warning, error" in s for s in shown.values())
    assert any("'old'" in s and "beim Verbinden" in s for s in shown.values())


@pytest.mark.parametrize(
    ("content", "german_words"),
    [
        (None, "Keine Optionsdatei"),
        ("{not json", "kein gültiges JSON"),
        ("[1, 2]", "muss ein JSON-Objekt enthalten"),
    ],
)
def test_a_missing_or_broken_options_file_is_explained_in_german(
    tmp_path: Path, content: str | None, german_words: str
) -> None:
    if content is not None:
        (tmp_path / "options.json").write_text(content)
    (problem,) = load_settings({"OURA_ADDON_DATA": str(tmp_path)}).problems
    shown = german(problem)
    assert german_words in shown and "options.json" in shown


# --- OAuth state (the callback page) -----------------------------------------------------


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_forged_replayed_expired_and_misplaced_answers_are_explained_in_german() -> None:
    clock = Clock()
    pending = PendingAuthorizations(clock=clock)
    forged = error_of(lambda: pending.consume("forged"))
    state = pending.issue("oura", "https://ha/cb")
    pending.consume(state)
    replayed = error_of(lambda: pending.consume(state))
    other = pending.issue("partner", "https://ha/cb")
    misplaced = error_of(lambda: pending.consume(other, "oura"))
    nothing = error_of(lambda: pending.consume_latest("oura"))
    clock.now += 11 * 60
    expired = error_of(lambda: pending.consume(other))

    assert "passt zu keiner Verbindung" in german(forged.user_message)
    assert "bereits verwendet" in german(replayed.user_message)
    assert "'partner', nicht zu 'oura'" in german(misplaced.user_message)
    assert "Für 'oura' wartet keine Autorisierung" in german(nothing.user_message)
    assert "mehr als 10 Minuten vergangen" in german(expired.user_message)


# --- account names and the app's credentials ------------------------------------------------


def test_a_refused_account_name_is_explained_in_german() -> None:
    refused = error_of(lambda: validate_name("Bad Name!"))
    assert isinstance(refused, ValueError)  # callers that only know ValueError still catch it
    shown = german(user_message(refused))
    assert "Der Kontoname 'Bad Name!' ist ungültig" in shown


@pytest.mark.parametrize(
    ("client_id", "secret", "portal", "german_words"),
    [
        ("", "s", None, "Gib die Client-ID"),
        ("has space", "s", None, "Client-ID sieht falsch aus"),
        ("abc", "s", "museum", "wo die Oura-App erstellt wurde"),
        ("abc", "", None, "Gib das Client-Secret"),
    ],
)
def test_refused_app_credentials_are_explained_in_german(
    tmp_path: Path, client_id: str, secret: str, portal: str | None, german_words: str
) -> None:
    store = AppCredentialsStore(tmp_path, None, None)
    refused = error_of(lambda: store.save(client_id, secret, portal))
    assert german_words in german(user_message(refused))


def test_half_set_options_and_unreadable_credentials_are_explained_in_german(
    tmp_path: Path,
) -> None:
    (tmp_path / "app.json").write_text("{broken")
    (half, unreadable) = AppCredentialsStore(tmp_path, "abc", None).describe()["problems"]
    assert "nur client_id oder client_secret" in german(half)
    assert "Client-Zugangsdaten sind unlesbar" in german(unreadable)


# --- Oura's sign-in and data answers --------------------------------------------------------


def answer(status: int, body: str, content_type: str = "text/html") -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body.encode()
    response.headers["Content-Type"] = content_type
    return response


def test_ouras_sign_in_answers_are_explained_in_german() -> None:
    reported = error_of(lambda: CallbackParams(error="server_error").require_code())
    silent = oauth_error_for(answer(400, "<html>proxy</html>"), None)
    refused = oauth_error_for(
        answer(400, '{"error": "invalid_scope"}', "application/json"), None, exchange=True
    )
    assert "Oura meldete „server_error“" in german(reported.user_message)
    assert "HTTP 400" in german(silent.user_message)
    assert "ohne einen Grund zu nennen" in german(silent.user_message)
    assert "Oura hat diese Anmeldung nicht abgeschlossen" in german(refused.user_message)


def test_an_odd_data_answer_is_explained_in_german_down_to_its_detail() -> None:
    odd = error_for(answer(418, "teapot"), "daily_sleep")
    shown = german(odd.user_message)
    assert "daily_sleep" in shown and "unerwartetes HTTP 418" in shown


def test_a_stored_sentence_is_translated_again_when_read_back() -> None:
    read_back = stored_text(json.loads(json.dumps(REFUSED_MESSAGE)))
    assert "verbinde dieses Konto neu" in german(read_back)
    assert GERMAN.text(stored_text("Something Oura wrote.")) == "Something Oura wrote."


# --- Home Assistant --------------------------------------------------------------------------


def test_websocket_failures_are_explained_in_german() -> None:
    def unreachable(url: str, timeout: float):
        raise ConnectionRefusedError

    def enter(token: str | None) -> WebSocketError:
        with (
            pytest.raises(WebSocketError) as caught,
            connect("ws://127.0.0.1:9", token, connector=unreachable),
        ):
            pass
        return caught.value

    no_token = enter(None)
    refused = enter("token")
    assert "SUPERVISOR_TOKEN ist nicht gesetzt" in german(no_token.user_message)
    shown = german(refused.user_message)
    assert "ws://127.0.0.1:9 ist nicht erreichbar (ConnectionRefusedError)" in shown


def test_a_state_home_assistant_cannot_take_is_explained_in_german() -> None:
    client = HomeAssistantClient("http://127.0.0.1:9/api", "token")
    refused = error_of(lambda: client.set_state(EntityState("sensor.Bad Id", "1", {})))
    assert "keine gültige Entitäts-ID" in german(refused.user_message)
