"""The JSON API: credentials, accounts, authorize/paste, sync, delete, status."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from oura_addon.homeassistant import modes
from oura_addon.i18n import Catalogues, _l
from oura_addon.oura.errors import InvalidGrant, OuraUnavailable
from oura_addon.services import PublishState
from oura_addon.web.context import PASTE_REDIRECT_URI
from oura_addon.web.views import publish_summary
from tests.web.conftest import Panel
from tests.web.fakes import AUTH_CODE, CLIENT_SECRET, EMAIL, SECRETS, FakeServices, connect


def authorize(panel: Panel, account: str = "oura", uri: str = PASTE_REDIRECT_URI) -> str:
    response = panel.post(f"/api/accounts/{account}/authorize", json={"redirect_uri": uri})
    assert response.status_code == 200, response.get_json()
    return parse_qs(urlsplit(response.get_json()["authorize_url"]).query)["state"][0]


# --- credentials --------------------------------------------------------------------------


def test_credentials_entered_in_the_panel_are_stored(panel: Panel, services: FakeServices) -> None:
    services.credentials.clear()
    response = panel.post(
        "/api/credentials", json={"client_id": "my-app", "client_secret": "my-secret-1"}
    )
    assert response.status_code == 200
    assert services.credentials.get().client_id == "my-app"
    assert "my-secret-1" not in services.redactor.redact("secret my-secret-1 leaked")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"client_id": "", "client_secret": "s"}, "Client ID"),
        ({"client_id": "id-only"}, "Client secret"),
        ({"client_id": 5, "client_secret": "s"}, "Client ID"),
    ],
)
def test_incomplete_credentials_get_a_clear_message(
    panel: Panel, services: FakeServices, body: dict[str, Any], message: str
) -> None:
    services.credentials.clear()
    response = panel.post("/api/credentials", json=body)
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_credentials"
    assert message in response.get_json()["message"]
    assert services.credentials.get() is None


def test_credentials_owned_by_the_options_cannot_be_changed_in_the_panel(
    panel: Panel, services: FakeServices
) -> None:
    services.credentials.source = "options"
    response = panel.post("/api/credentials", json={"client_id": "x", "client_secret": "y"})
    assert response.status_code == 409
    assert "options" in response.get_json()["message"]
    assert services.credentials.get().client_id != "x"


def test_a_body_that_is_not_json_gets_a_json_error(panel: Panel) -> None:
    response = panel.post(
        "/api/credentials", data="client_id=x", headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_request"


# --- accounts -----------------------------------------------------------------------------


def test_adding_an_account_validates_its_name(panel: Panel, services: FakeServices) -> None:
    created = panel.post("/api/accounts", json={"name": "oura"})
    assert created.status_code == 201
    assert created.get_json() == {"name": "oura", "entity_prefix": "oura"}
    second = panel.post("/api/accounts", json={"name": "partner"})
    assert second.get_json()["entity_prefix"] == "oura_partner"
    bad = panel.post("/api/accounts", json={"name": "Bad Name!"})
    assert bad.status_code == 400
    assert bad.get_json()["error"] == "bad_name"
    assert "1-32 lowercase letters" in bad.get_json()["message"]
    duplicate = panel.post("/api/accounts", json={"name": "oura"})
    assert duplicate.status_code == 409
    assert [a.name for a in services.accounts.list()] == ["oura", "partner"]


def test_a_name_that_would_reuse_another_accounts_entity_ids_is_refused(
    panel: Panel, services: FakeServices
) -> None:
    assert panel.post("/api/accounts", json={"name": "me"}).status_code == 201
    # sensor.oura_average_heart_rate is the first account's sensor already
    clash = panel.post("/api/accounts", json={"name": "average"})
    assert clash.status_code == 400
    assert "sensor.oura_average_heart_rate" in clash.get_json()["message"]
    assert [a.name for a in services.accounts.list()] == ["me"]


def test_authorize_creates_the_account_and_returns_oura_consent_url(
    panel: Panel, services: FakeServices
) -> None:
    uri = "https://ha.example.com/api/hassio_ingress/t/oauth/callback"
    response = panel.post("/api/accounts/oura/authorize", json={"redirect_uri": uri})
    body = response.get_json()
    assert response.status_code == 200
    assert body["state_expires_in"] == 600
    query = parse_qs(urlsplit(body["authorize_url"]).query)
    assert query["redirect_uri"] == [uri]
    assert len(query["state"][0]) >= 43
    assert services.accounts.get("oura") is not None


def test_authorize_without_client_credentials_says_what_to_do_first(
    panel: Panel, services: FakeServices
) -> None:
    services.credentials.clear()
    response = panel.post(
        "/api/accounts/oura/authorize", json={"redirect_uri": "https://h.example/cb"}
    )
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "no_credentials",
        "message": "Enter your Oura app's client id and secret first.",
    }
    assert services.accounts.list() == []


@pytest.mark.parametrize("uri", [None, "", "/relative/cb", "ftp://host/cb", "javascript:x", 42])
def test_authorize_refuses_a_redirect_uri_that_is_not_an_absolute_http_url(
    panel: Panel, services: FakeServices, uri: object
) -> None:
    response = panel.post("/api/accounts/oura/authorize", json={"redirect_uri": uri})
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_redirect_uri"
    assert services.accounts.list() == []


def test_authorize_refuses_an_invalid_account_name(panel: Panel, services: FakeServices) -> None:
    response = panel.post(
        "/api/accounts/NOPE/authorize", json={"redirect_uri": "https://h.example/cb"}
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_name"
    assert services.accounts.list() == []


# --- paste --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pasted",
    [
        f"{PASTE_REDIRECT_URI}?code={AUTH_CODE}&state={{state}}",
        f"code={AUTH_CODE}&state={{state}}",
        AUTH_CODE,
    ],
    ids=["whole-url", "query-string", "bare-code"],
)
def test_pasting_the_redirected_url_connects_the_account(
    panel: Panel, services: FakeServices, pasted: str
) -> None:
    state = authorize(panel)
    response = panel.post("/api/accounts/oura/paste", json={"url": pasted.format(state=state)})
    assert response.status_code == 200
    assert response.get_json() == {
        "connected": True,
        "account": "oura",
        "email": EMAIL,
        "notice": None,
        "portal": "new",
    }
    assert services.oauth.exchanges == [(AUTH_CODE, PASTE_REDIRECT_URI)]
    assert services.accounts.get("oura").connection == "connected"
    assert ("account_connected", "oura") in services.sync.calls


def test_a_pasted_url_for_another_account_is_refused_and_that_flow_survives(
    panel: Panel, services: FakeServices
) -> None:
    authorize(panel, "oura")
    partner_state = authorize(panel, "partner")
    wrong = panel.post(
        "/api/accounts/oura/paste",
        json={"url": f"{PASTE_REDIRECT_URI}?code={AUTH_CODE}&state={partner_state}"},
    )
    assert wrong.status_code == 400
    assert "partner" in wrong.get_json()["message"]
    assert services.oauth.exchanges == []
    right = panel.post(
        "/api/accounts/partner/paste",
        json={"url": f"{PASTE_REDIRECT_URI}?code={AUTH_CODE}&state={partner_state}"},
    )
    assert right.status_code == 200


@pytest.mark.parametrize(
    ("pasted", "kind"),
    [
        ("https://example.com/nothing-here", "invalid_callback"),
        (f"{PASTE_REDIRECT_URI}?error=access_denied&state={{state}}", "access_denied"),
        (f"{PASTE_REDIRECT_URI}?code={AUTH_CODE}&state=forged", "unknown_state"),
        ("", "invalid_callback"),
    ],
)
def test_a_useless_paste_gets_a_message_and_stores_nothing(
    panel: Panel, services: FakeServices, pasted: str, kind: str
) -> None:
    state = authorize(panel)
    response = panel.post("/api/accounts/oura/paste", json={"url": pasted.format(state=state)})
    assert response.status_code == 400
    assert response.get_json()["error"] == kind
    assert response.get_json()["message"]
    assert services.accounts.tokens("oura") is None
    assert services.oauth.exchanges == []


def test_a_paste_when_oura_is_down_answers_502_and_can_be_retried_with_a_new_connect(
    panel: Panel, services: FakeServices
) -> None:
    services.oauth.exchange_error = OuraUnavailable()
    state = authorize(panel)
    response = panel.post(
        "/api/accounts/oura/paste", json={"url": f"code={AUTH_CODE}&state={state}"}
    )
    assert response.status_code == 502
    assert response.get_json()["error"] == "unavailable"
    assert services.accounts.tokens("oura") is None


def test_a_paste_of_a_used_code_says_so(panel: Panel, services: FakeServices) -> None:
    services.oauth.exchange_error = InvalidGrant()
    state = authorize(panel)
    response = panel.post(
        "/api/accounts/oura/paste", json={"url": f"code={AUTH_CODE}&state={state}"}
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_grant"


def test_a_paste_for_an_unknown_account_is_404(panel: Panel) -> None:
    response = panel.post("/api/accounts/ghost/paste", json={"url": AUTH_CODE})
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


# --- sync and delete ----------------------------------------------------------------------


def test_sync_now_starts_a_cycle_for_all_or_one_account(
    panel: Panel, services: FakeServices
) -> None:
    connect(services, "oura")
    assert panel.post("/api/sync").status_code == 202
    response = panel.post("/api/sync", json={"account": "oura"})
    assert response.status_code == 202
    assert response.get_json() == {"started": True}
    assert services.sync.calls == [("sync_now", None), ("sync_now", "oura")]
    assert panel.post("/api/sync", json={"account": "ghost"}).status_code == 404


def test_deleting_an_account_revokes_removes_entities_and_forgets_it(
    panel: Panel, services: FakeServices
) -> None:
    connect(services, "oura")
    connect(services, "partner")
    access = services.accounts.tokens("partner").access_token
    response = panel.delete("/api/accounts/partner")
    assert response.status_code == 200
    assert response.get_json() == {"deleted": True, "revoked": True, "finishing": False}
    assert services.oauth.revoked == [access]
    assert ("account_removed", ("partner", "oura_partner")) in services.sync.calls
    assert services.accounts.get("partner") is None
    assert services.accounts.get("oura") is not None


def test_deleting_an_unknown_account_is_404(panel: Panel) -> None:
    response = panel.delete("/api/accounts/ghost")
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_a_failing_revoke_does_not_block_removing_the_account(
    panel: Panel, services: FakeServices
) -> None:
    connect(services, "oura")

    def broken_revoke(token: str) -> bool:
        raise OSError("network down")

    services.oauth.revoke = broken_revoke  # type: ignore[method-assign]
    response = panel.delete("/api/accounts/oura")
    assert response.status_code == 200
    assert response.get_json()["revoked"] is False
    assert services.accounts.get("oura") is None


def test_an_unknown_api_route_answers_json(panel: Panel) -> None:
    response = panel.get("/api/nothing")
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


# --- status -------------------------------------------------------------------------------


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(k) + _strings(v)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def test_status_describes_accounts_and_home_assistant(panel: Panel, services: FakeServices) -> None:
    connect(services, "oura", endpoint_errors={"daily_stress": "Oura refused daily_stress."})
    status = panel.get("/api/status").get_json()
    assert set(status) == {
        "version",
        "demo",
        "problems",
        "credentials",
        "home_assistant",
        "publish",
        "accounts",
        "webhooks",
    }
    assert status["credentials"]["client_id"] == "fake-client-id"
    assert status["credentials"]["has_secret"] is True
    assert status["home_assistant"]["state"] == "connected"
    (account,) = status["accounts"]
    assert account["connection"] == "connected"
    assert account["email"] == "oura@example.com"
    assert account["last_sync"].startswith("2025-01-30T06:50")
    assert account["endpoint_errors"] == {"daily_stress": "Oura refused daily_stress."}
    score = next(e for e in account["entities"] if e["entity_id"] == "sensor.oura_average_hrv")
    assert score == {
        "entity_id": "sensor.oura_average_hrv",
        "state": "48",
        "unit": "ms",
        "name": "Oura Average HRV",
    }


def test_status_never_contains_a_secret(panel: Panel, services: FakeServices) -> None:
    connect(services, "oura")
    state = authorize(panel, "partner")
    panel.post("/api/accounts/partner/paste", json={"url": f"code={AUTH_CODE}&state={state}"})
    body = panel.get("/api/status")
    text = body.get_data(True)
    for secret in SECRETS:
        assert secret not in text
        assert all(secret not in s for s in _strings(body.get_json()))
    assert CLIENT_SECRET not in text
    assert len(body.get_json()["accounts"]) == 2


def test_status_says_how_the_sensors_reach_home_assistant(panel: Panel) -> None:
    publish = panel.get("/api/status").get_json()["publish"]
    # Fakes have no MQTT broker: the core API, said in one sentence.
    assert publish["mode"] == "core_api"
    assert publish["broker"] is None
    assert publish["connected"] is False
    assert publish["devices"] == 0
    assert publish["summary"].startswith("Core API")


def test_the_core_api_summary_says_why_in_whole_sentences_in_each_language() -> None:
    why = modes._instead(
        _l("The Supervisor is not reachable (%(error)s).", error="ConnectionError")
    )
    state = PublishState(mode="core_api", configured="auto", message=why)

    catalogues = Catalogues()
    english = publish_summary(state, catalogues.translator("en"))
    german = publish_summary(state, catalogues.translator("de"))

    assert english == (
        "Core API: states are posted to Home Assistant directly. The Supervisor is not "
        "reachable (ConnectionError). MQTT discovery is tried again when the add-on restarts."
    )
    assert german.startswith("Core-API: Zustände werden direkt an Home Assistant gesendet. ")
    assert "ConnectionError" in german and "MQTT discovery" not in german
