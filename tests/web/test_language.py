"""The panel in the browser's language: pages, form messages, the JSON API and the script's
sentences follow ``Accept-Language``; English when nothing shipped fits."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from babel.messages.pofile import read_po

from oura_addon.i18n import LOCALES_DIR
from oura_addon.oura.errors import (
    AuthorizationDenied,
    InvalidClient,
    InvalidGrant,
    OAuthError,
    OuraUnavailable,
    RedirectUriMismatch,
    UserLimitReached,
)
from oura_addon.settings import load_settings
from tests.web.conftest import Panel
from tests.web.fakes import FakeServices, connect


class VisibleText(HTMLParser):
    """The text a person reads: no script or style, but placeholders and labels."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0
        self._skipping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        # translate="no" marks data shown as it is (Home Assistant's entity names).
        if tag in ("script", "style", "title") or ("translate", "no") in attrs:
            self._skip += 1
            self._skipping.append(tag)
        for name, value in attrs:
            if name in ("placeholder", "aria-label") and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if self._skipping and self._skipping[-1] == tag:
            self._skipping.pop()
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.parts.append(data.strip())

    @classmethod
    def of(cls, html: str) -> str:
        parser = cls()
        parser.feed(html)
        return " ".join(parser.parts)


def in_language(panel: Panel, path: str, language: str) -> str:
    response = panel.get(path, headers={"Accept-Language": language})
    assert response.status_code == 200
    return response.get_data(True)


def english_sentences(language: str) -> list[str]:
    """Source sentences whose translation differs, cut at their values ("%(x)s")."""
    with (LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalogue = read_po(po, locale=language)
    pieces = []
    for message in catalogue:
        if not message.id or not isinstance(message.id, str) or message.string == message.id:
            continue
        for piece in re.split(r"%\(\w+\)[sdr]", message.id):
            if len(piece.strip()) >= 12:  # long enough that no translation contains it
                pieces.append(piece.strip())
    return pieces


@pytest.mark.parametrize("language", ["de", "fr", "es", "nl"])
@pytest.mark.parametrize("with_account", [False, True])
def test_no_english_sentence_is_left_on_a_translated_page(
    panel: Panel, services: FakeServices, language: str, with_account: bool
) -> None:
    if with_account:
        connect(services, "oura")
    html = in_language(panel, "/", f"{language},en;q=0.5")
    assert f'<html lang="{language}">' in html
    visible = VisibleText.of(html)
    left = [sentence for sentence in english_sentences(language) if sentence in visible]
    assert not left, f"English on the {language} page: {left}"


def test_the_german_dashboard_speaks_german_with_german_numbers_and_dates(
    panel: Panel, services: FakeServices
) -> None:
    connect(services, "oura")
    html = in_language(panel, "/", "de-DE,de;q=0.9,en;q=0.8")
    assert ">Jetzt synchronisieren</button>" in html and ">Trennen</button>" in html
    assert "10.234 steps" in html  # the entity's own unit, German digits
    assert "7 Std. 24 Min." in html  # total sleep, 7.4 h
    assert ">30.01.25, 06:50</time>" in html  # last sync
    assert "Letzte 30 Tage" in html


def test_a_region_keeps_its_own_formats(panel: Panel, services: FakeServices) -> None:
    connect(services, "oura")
    html = in_language(panel, "/", "en-GB")
    assert ">30/01/2025, 06:50</time>" in html
    assert '<html lang="en-GB">' in html


def test_an_unshipped_language_falls_back_to_english(panel: Panel) -> None:
    html = in_language(panel, "/", "pt-BR,ja;q=0.8")
    assert '<html lang="en">' in html and "Oura app credentials" in html
    assert '<html lang="en">' in panel.get("/").get_data(True)  # no header at all


def test_the_first_shipped_language_by_preference_wins(panel: Panel) -> None:
    html = in_language(panel, "/", "ja, nl;q=0.9, de;q=0.8")
    assert '<html lang="nl">' in html and "Gegevens van de Oura-app" in html


def test_the_script_gets_its_sentences_in_the_page_language(panel: Panel) -> None:
    html = in_language(panel, "/", "fr")
    block = re.search(r'<script type="application/json" id="panel-messages">(.*?)</script>', html)
    assert block
    messages = json.loads(block.group(1))
    assert messages["copied"] == "Copié"
    assert messages["answered"] == "Le module complémentaire a répondu %(status)s."


def test_form_messages_are_flashed_in_the_language_of_the_form(
    panel: Panel, services: FakeServices
) -> None:
    headers = {"Accept-Language": "es"}
    response = panel.post(
        "/accounts",
        data={"csrf_token": panel.csrf_token(), "name": "casa"},
        csrf=False,
        headers=headers,
    )
    assert response.status_code == 302
    html = panel.get("/", headers=headers).get_data(True)
    assert "Cuenta &#39;casa&#39; añadida" in html


def test_api_errors_and_status_sentences_follow_the_request_language(
    panel: Panel, services: FakeServices
) -> None:
    french = {"Accept-Language": "fr-FR"}
    missing = panel.delete("/api/accounts/personne", headers=french)
    assert missing.status_code == 404
    assert missing.get_json()["message"] == "Il n'y a pas de compte nommé 'personne'."
    status = panel.get("/api/status", headers=french).get_json()
    english = panel.get("/api/status").get_json()
    assert status["home_assistant"]["state"] == english["home_assistant"]["state"]
    assert status["home_assistant"]["message"] != english["home_assistant"]["message"]
    assert status["home_assistant"]["message"].startswith("Home Assistant")


def test_error_pages_are_translated(panel: Panel) -> None:
    response = panel.get("/nowhere", headers={"Accept-Language": "de"})
    assert response.status_code == 404
    text = response.get_data(True)
    assert "Nicht gefunden" in text and "Zurück zum Panel" in text


def test_the_panel_offers_the_diagnostics_download_with_an_email_tick(panel: Panel) -> None:
    html = in_language(panel, "/", "fr")
    assert 'action="/api/hassio_ingress/Xy9_k-3bTOKEN/api/diagnostics"' in html
    assert 'name="include_email"' in html and "Télécharger le diagnostic" in html
    response = panel.get("/api/diagnostics")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith('attachment; filename="oura-')
    assert response.get_json()["addon"]["simulator"] is False


def test_settings_problems_are_shown_in_the_panel_language(
    panel_for: Callable[..., tuple[FakeServices, Panel]], tmp_path: Path
) -> None:
    options = tmp_path / "options"
    options.mkdir()
    (options / "options.json").write_text('{"poll_interval": 0, "log_level": "loud"}')
    problems = load_settings({"OURA_ADDON_DATA": str(options)}).problems
    _, panel = panel_for(problems=problems)
    html = in_language(panel, "/", "de")
    assert "Prüfe die Optionen des Add-ons" in html
    assert "Die Option poll_interval=0 liegt außerhalb von 1..1440" in html
    assert "Option poll_interval=0 is outside" not in html
    status = panel.get("/api/status", headers={"Accept-Language": "de"}).get_json()
    assert [p.split(";")[0] for p in status["problems"]] == [  # in the options' order
        "Die Option poll_interval=0 liegt außerhalb von 1..1440",
        "Die Option log_level muss einer dieser Werte sein: debug, info, warning, error",
    ]
    left = [s for s in english_sentences("de") if s in VisibleText.of(html)]
    assert not left, f"English on the German page: {left}"


def test_a_forged_callback_is_explained_in_the_browser_language(panel: Panel) -> None:
    response = panel.get(
        "/oauth/callback?code=abc&state=forged", headers={"Accept-Language": "fr-FR,fr"}
    )
    assert response.status_code == 400
    visible = VisibleText.of(response.get_data(True))
    assert "ne correspond à aucune connexion lancée depuis ce module" in visible
    left = [s for s in english_sentences("fr") if s in visible]
    assert not left, f"English on the French callback page: {left}"


def test_a_refused_account_name_is_answered_in_the_request_language(panel: Panel) -> None:
    response = panel.post(
        "/api/accounts", json={"name": "Bad Name"}, headers={"Accept-Language": "nl"}
    )
    assert response.status_code == 400
    assert response.get_json()["message"].startswith("De accountnaam 'bad name' is ongeldig")


@pytest.mark.parametrize(
    "error",
    [
        InvalidGrant(),
        InvalidClient(),
        RedirectUriMismatch("https://ha.example.com/cb"),
        OuraUnavailable(status=503),
        UserLimitReached(),
        AuthorizationDenied(),
        None,  # the same state twice: "already used"
    ],
    ids=lambda e: type(e).__name__ if e else "replayed",
)
def test_every_callback_failure_page_is_german(
    panel: Panel, services: FakeServices, error: OAuthError | None
) -> None:
    services.oauth.exchange_error = error
    authorize = panel.post(
        "/api/accounts/oura/authorize", json={"redirect_uri": "https://ha.example.com/cb"}
    )
    state = parse_qs(urlsplit(authorize.get_json()["authorize_url"]).query)["state"][0]
    callback = f"/oauth/callback?code=abc&state={state}"
    if error is None:
        panel.get(callback)
    response = panel.get(callback, headers={"Accept-Language": "de"})
    assert response.status_code >= 400
    visible = VisibleText.of(response.get_data(True))
    assert "Es wurde nichts gespeichert" in visible
    left = [s for s in english_sentences("de") if s in visible]
    assert not left, f"English on the German callback page: {left}"
