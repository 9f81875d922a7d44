"""Who may reach the panel, under which path, and with which response headers."""

from __future__ import annotations

import os
from http.cookies import SimpleCookie
from pathlib import Path

import pytest

from oura_addon.web import create_app
from oura_addon.web.session import load_secret_key
from tests.web.conftest import INGRESS, Panel, collect_links
from tests.web.fakes import FakeServices, connect


@pytest.mark.parametrize(
    "path", ["/", "/healthz", "/api/status", "/oauth/callback?state=x&code=y", "/static/panel.js"]
)
def test_a_client_outside_the_trusted_list_gets_403_everywhere(panel: Panel, path: str) -> None:
    panel.remote = "10.0.0.5"
    response = panel.get(path)
    assert response.status_code == 403
    assert response.mimetype == "text/plain"
    assert "ingress" in response.get_data(True)


def test_the_supervisor_ingress_proxy_is_answered(panel: Panel) -> None:
    assert panel.get("/").status_code == 200
    assert panel.get("/healthz").get_data(True).strip() == "ok"


def test_forwarded_for_headers_do_not_make_a_client_trusted(panel: Panel) -> None:
    panel.remote = "10.0.0.5"
    response = panel.get("/", headers={"X-Forwarded-For": "172.30.32.2"})
    assert response.status_code == 403


def test_state_changing_requests_from_untrusted_clients_change_nothing(
    panel: Panel, services: FakeServices
) -> None:
    token = panel.csrf_token()
    panel.remote = "10.0.0.5"
    response = panel.post(
        "/api/accounts", json={"name": "intruder"}, headers={"X-CSRF-Token": token}
    )
    assert response.status_code == 403
    assert services.accounts.list() == []


def test_the_home_assistant_user_name_is_shown_when_the_proxy_sends_it(panel: Panel) -> None:
    page = panel.get("/", headers={"X-Remote-User-Display-Name": "Ada Lovelace"})
    assert "Signed in as Ada Lovelace" in page.get_data(True)


def test_user_headers_from_anyone_but_the_proxy_are_ignored(panel: Panel) -> None:
    panel.remote = "127.0.0.1"  # trusted (tests, dev), but not the ingress proxy
    page = panel.get("/", headers={"X-Remote-User-Display-Name": "Mallory"})
    assert page.status_code == 200
    assert "Mallory" not in page.get_data(True)


def _assert_all_urls_under_prefix(html: str, prefix: str) -> int:
    links = collect_links(html)
    for tag, attribute, value in links.urls:
        if value.startswith(("https://", "http://localhost", "#", "data:")):
            continue
        assert value.startswith(prefix + "/"), f"<{tag} {attribute}={value!r}> escapes {prefix}"
    return len(links.urls)


@pytest.mark.parametrize("accounts", [0, 1, 3])
def test_every_link_form_and_asset_on_the_main_page_stays_under_the_ingress_prefix(
    panel: Panel, services: FakeServices, accounts: int
) -> None:
    for name in ["oura", "partner", "kid"][:accounts]:
        connect(services, name)
    html = panel.get("/").get_data(True)
    assert _assert_all_urls_under_prefix(html, INGRESS) >= 4
    assert f'data-root="{INGRESS}/"' in html
    assert f'data-callback-path="{INGRESS}/oauth/callback"' in html


def test_the_account_page_and_callback_pages_stay_under_the_ingress_prefix(
    panel: Panel, services: FakeServices
) -> None:
    connect(services, "oura")
    for path in ("/accounts/oura", "/oauth/callback?state=unknown&code=x", "/no/such/page"):
        _assert_all_urls_under_prefix(panel.get(path).get_data(True), INGRESS)


def test_form_redirects_lead_back_under_the_ingress_prefix(panel: Panel) -> None:
    token = panel.csrf_token()
    response = panel.post("/accounts", data={"name": "oura", "csrf_token": token}, csrf=False)
    assert response.status_code == 302
    assert response.headers["Location"] == f"{INGRESS}/"


def test_a_malformed_ingress_header_is_ignored(panel: Panel) -> None:
    panel.prefix = "/evil/../path"
    response = panel.client.get(
        "/",
        headers={"X-Ingress-Path": "/evil/../path"},
        environ_overrides={"REMOTE_ADDR": "172.30.32.2"},
    )
    html = response.get_data(True)
    assert response.status_code == 200
    assert "/evil" not in html
    assert 'href="/static/panel.css"' in html


def test_pages_and_api_carry_the_security_headers(panel: Panel) -> None:
    for path in ("/", "/api/status", "/oauth/callback?state=s&code=c"):
        headers = panel.get(path).headers
        policy = headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy
        assert "frame-ancestors 'self'" in policy
        assert "script-src 'self'" in policy
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["Cache-Control"] == "no-store"


def test_no_page_loads_anything_from_the_internet(panel: Panel, services: FakeServices) -> None:
    connect(services, "oura")
    html = panel.get("/").get_data(True)
    for tag, attribute, value in collect_links(html).urls:
        if tag in ("link", "script", "img") and not value.startswith("data:"):
            assert value.startswith(INGRESS), f"<{tag} {attribute}={value}> is not local"
    with panel.get("/static/panel.css") as response:  # closes the served file
        css = response.get_data(True)
    assert "http" not in css and "@import" not in css
    assert "system-ui" in css


def test_the_session_cookie_is_private_strict_and_scoped_to_the_ingress_path(panel: Panel) -> None:
    response = panel.get("/")
    cookie = SimpleCookie(response.headers["Set-Cookie"])
    (morsel,) = cookie.values()
    assert morsel["path"] == INGRESS
    assert morsel["httponly"]
    assert morsel["samesite"] == "Strict"


def test_the_session_key_is_kept_private_and_survives_a_restart(
    tmp_path: Path, services: FakeServices
) -> None:
    first = load_secret_key(tmp_path)
    assert load_secret_key(tmp_path) == first
    assert os.stat(tmp_path / "secret_key").st_mode & 0o777 == 0o600
    # A token issued before a restart still works after it.
    before = Panel(create_app(services.settings, services.bundle()))
    token = before.csrf_token()
    after = Panel(create_app(services.settings, services.bundle()))
    cookie = before.client.get_cookie("oura_panel_session", path=INGRESS)
    assert cookie is not None
    after.client.set_cookie("oura_panel_session", cookie.value, path=INGRESS)
    response = after.post("/api/sync", json={}, headers={"X-CSRF-Token": token})
    assert response.status_code == 202


def test_an_unwritable_data_directory_still_gives_a_working_panel(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("file where a directory should be")
    key = load_secret_key(blocker)
    assert len(key) >= 32
