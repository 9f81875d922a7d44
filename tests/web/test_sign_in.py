"""The sign-in as the add-on keeps it (``/api/status`` accounts[].sign_in): waiting, then
failed, expired or cancelled, kept in /data until connected or dismissed; one Oura user is
connected once."""

from __future__ import annotations

from typing import Any

from flask import Flask

from oura_addon.oura.errors import AuthorizationDenied, InvalidClient, RedirectUriMismatch
from oura_addon.web import create_app
from oura_addon.web.oauth_state import PendingAuthorizations
from tests.web.conftest import FakeClock, Panel
from tests.web.fakes import ACCESS_TOKEN, AUTH_CODE, FakeServices
from tests.web.test_callback import REDIRECT_URI, assert_nothing_stored, start


def sign_in(panel: Panel, account: str = "oura", language: str = "en") -> dict[str, Any] | None:
    status = panel.get("/api/status", headers={"Accept-Language": language}).get_json()
    found = next(a for a in status["accounts"] if a["name"] == account)
    return found["sign_in"]


def restarted(services: FakeServices) -> Panel:
    """The add-on started again on the same /data: nothing in memory survives."""
    app = create_app(services.settings, services.bundle(), secret_key=b"k" * 32)
    return Panel(app)


def test_connect_waits_and_a_denied_consent_is_kept_until_dismissed(
    panel: Panel, services: FakeServices
) -> None:
    state = start(panel)
    waiting = sign_in(panel)
    assert waiting is not None and waiting["state"] == "waiting" and waiting["action"] == "cancel"
    assert waiting["expires_at"] > waiting["at"]

    page = panel.get(f"/oauth/callback?error=access_denied&state={state}")
    assert page.status_code == 400

    failed = sign_in(panel)
    assert failed is not None
    assert (failed["state"], failed["error"], failed["action"]) == (
        "failed",
        "access_denied",
        "retry",
    )
    assert failed["message"] and failed["next_step"]
    # German on a German panel, also after a restart (read back from /data).
    again = restarted(services)
    german = sign_in(again, language="de")
    assert german is not None and german["state"] == "failed"
    assert german["message"] != failed["message"]
    assert_nothing_stored(services)

    assert again.delete("/api/accounts/oura/sign_in").status_code == 200
    assert sign_in(again) is None
    assert sign_in(restarted(services)) is None


def test_a_wrong_secret_says_fix_the_secret(panel: Panel, services: FakeServices) -> None:
    services.oauth.exchange_error = InvalidClient()
    state = start(panel)
    panel.get(f"/oauth/callback?code={AUTH_CODE}&state={state}")
    failed = sign_in(panel)
    assert failed is not None
    assert (failed["state"], failed["error"], failed["action"]) == (
        "failed",
        "invalid_client",
        "fix_secret",
    )
    assert "secret" in failed["next_step"]


def test_an_unregistered_redirect_uri_offers_the_address_to_register(
    panel: Panel, services: FakeServices
) -> None:
    services.oauth.exchange_error = RedirectUriMismatch(redirect_uri=REDIRECT_URI)
    state = start(panel)
    panel.get(f"/oauth/callback?code={AUTH_CODE}&state={state}")
    failed = sign_in(panel)
    assert failed is not None and failed["action"] == "register_uri"
    assert failed["redirect_uri"] == REDIRECT_URI


def test_a_paste_failure_is_on_the_card_too(panel: Panel, services: FakeServices) -> None:
    services.oauth.exchange_error = AuthorizationDenied()
    state = start(panel)
    answer = panel.post(
        "/api/accounts/oura/paste",
        json={"url": f"http://localhost/oura-callback?code={AUTH_CODE}&state={state}"},
    )
    assert answer.status_code == 400
    failed = sign_in(panel)
    assert failed is not None and failed["error"] == answer.get_json()["error"]


def test_a_state_not_used_in_time_expires(
    panel: Panel, services: FakeServices, clock: FakeClock
) -> None:
    state = start(panel)
    clock.advance(601)
    expired = sign_in(panel)
    assert expired is not None
    assert (expired["state"], expired["error"], expired["action"]) == (
        "expired",
        "expired_state",
        "retry",
    )
    page = panel.get(f"/oauth/callback?code={AUTH_CODE}&state={state}")
    assert page.status_code == 400
    assert services.oauth.exchanges == []
    assert sign_in(panel)["state"] == "expired"  # type: ignore[index]


def test_a_waiting_sign_in_ends_expired_after_a_restart(
    panel: Panel, services: FakeServices
) -> None:
    start(panel)
    after = sign_in(restarted(services))
    assert after is not None and after["state"] == "expired"


def test_cancel_refuses_the_answer_that_comes_later(panel: Panel, services: FakeServices) -> None:
    state = start(panel)
    answer = panel.delete("/api/accounts/oura/authorize")
    assert answer.status_code == 200
    assert answer.get_json()["sign_in"]["state"] == "cancelled"

    page = panel.get(f"/oauth/callback?code={AUTH_CODE}&state={state}")
    assert page.status_code == 400
    assert "cancelled" in page.get_data(True)
    assert services.oauth.exchanges == []
    assert_nothing_stored(services)
    assert sign_in(panel)["state"] == "cancelled"  # type: ignore[index]
    assert sign_in(restarted(services))["state"] == "cancelled"  # type: ignore[index]


def test_connecting_clears_the_outcome(panel: Panel, services: FakeServices) -> None:
    state = start(panel)
    panel.delete("/api/accounts/oura/authorize")
    assert panel.get(f"/oauth/callback?code={AUTH_CODE}&state={state}").status_code == 400
    state = start(panel)
    assert panel.get(f"/oauth/callback?code={AUTH_CODE}&state={state}").status_code == 200
    assert sign_in(panel) is None
    assert sign_in(restarted(services)) is None


def test_cancel_of_an_unknown_account_is_404(panel: Panel) -> None:
    assert panel.delete("/api/accounts/nobody/authorize").status_code == 404


def test_the_same_oura_user_under_a_second_name_is_refused_and_revoked(
    app: Flask, panel: Panel, services: FakeServices
) -> None:
    services.oura_clients.user_id = "oura-user-1"
    first = start(panel, "oura")
    assert panel.get(f"/oauth/callback?code={AUTH_CODE}&state={first}").status_code == 200
    assert services.accounts.get("oura").oura_user_id == "oura-user-1"

    second = start(panel, "partner")
    page = panel.get(f"/oauth/callback?code={AUTH_CODE}&state={second}")
    html = page.get_data(True)
    assert page.status_code == 409
    assert "already connected" in html and "&#39;oura&#39;" in html
    assert services.oauth.revoked == [ACCESS_TOKEN]
    assert_nothing_stored(services, "partner")
    refused = sign_in(panel, "partner")
    assert refused is not None and refused["error"] == "same_oura_user"

    # The paste answer says the same, naming the other account.
    third = start(panel, "partner")
    answer = panel.post(
        "/api/accounts/partner/paste",
        json={"url": f"http://localhost/oura-callback?code={AUTH_CODE}&state={third}"},
    )
    assert answer.status_code == 409
    assert answer.get_json()["error"] == "same_oura_user"
    assert answer.get_json()["account"] == "oura"
    assert "'oura'" in answer.get_json()["message"]
    assert_nothing_stored(services, "partner")

    # Reconnecting the same user under its own name is no clash.
    again = start(panel, "oura")
    assert panel.get(f"/oauth/callback?code={AUTH_CODE}&state={again}").status_code == 200


def test_another_oura_user_connects_beside_the_first(panel: Panel, services: FakeServices) -> None:
    services.oura_clients.user_id = "oura-user-1"
    panel.get(f"/oauth/callback?code={AUTH_CODE}&state={start(panel, 'oura')}")
    services.oura_clients.user_id = "oura-user-2"
    services.oura_clients.email = "partner@example.com"
    page = panel.get(f"/oauth/callback?code={AUTH_CODE}&state={start(panel, 'partner')}")
    assert page.status_code == 200
    assert services.accounts.get("partner").connection == "connected"


def test_account_names_are_lower_cased(panel: Panel, services: FakeServices) -> None:
    answer = panel.post("/api/accounts", json={"name": "  Partner "})
    assert answer.status_code == 201
    assert answer.get_json()["name"] == "partner"


def test_a_short_sign_in_lifetime_comes_from_the_environment(tmp_path: Any) -> None:
    from oura_addon.settings import load_settings

    assert load_settings({"OURA_ADDON_DATA": str(tmp_path)}).sign_in_seconds == 600
    short = load_settings({"OURA_ADDON_DATA": str(tmp_path), "OURA_ADDON_SIGN_IN_SECONDS": "5"})
    assert short.sign_in_seconds == 5
    wrong = load_settings({"OURA_ADDON_DATA": str(tmp_path), "OURA_ADDON_SIGN_IN_SECONDS": "9999"})
    assert wrong.sign_in_seconds == 600
    assert PendingAuthorizations(lifetime=short.sign_in_seconds).lifetime == 5
