"""Every state-changing route refuses a request without this session's CSRF token."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.web.conftest import PROXY, Panel
from tests.web.fakes import FakeServices, connect

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def _state_changing_routes(app: Flask) -> list[tuple[str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & STATE_CHANGING):
            path = rule.rule.replace("<name>", "oura")
            routes.append((method, path))
    return routes


def test_the_app_has_the_state_changing_routes_the_panel_needs(app: Flask) -> None:
    routes = set(_state_changing_routes(app))
    assert ("POST", "/api/accounts/oura/authorize") in routes
    assert ("DELETE", "/api/accounts/oura") in routes
    assert ("POST", "/accounts/oura/disconnect") in routes
    assert len(routes) >= 10


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_every_state_changing_route_refuses_a_missing_or_wrong_token(
    app: Flask, panel: Panel, services: FakeServices, token: str | None
) -> None:
    connect(services, "oura")
    panel.csrf_token()  # a session exists; only the token is missing or wrong
    headers = {"X-CSRF-Token": token} if token else {}
    for method, path in _state_changing_routes(app):
        response = panel.request(
            method, path, csrf=False, headers=headers, json={"name": "x", "url": "c"}
        )
        assert response.status_code == 403, (method, path)
        if path.startswith("/api/"):
            assert response.get_json()["error"] == "csrf", (method, path)
        else:
            assert "security token" in response.get_data(True), (method, path)
    # Nothing happened.
    assert [a.name for a in services.accounts.list()] == ["oura"]
    assert services.sync.calls == []
    assert services.oauth.revoked == []


def test_a_token_from_another_session_is_refused(app: Flask, services: FakeServices) -> None:
    alice, mallory = Panel(app), Panel(app)
    alice.csrf_token()
    stolen_elsewhere = mallory.csrf_token()
    response = alice.post("/api/sync", json={}, headers={"X-CSRF-Token": stolen_elsewhere})
    assert response.status_code == 403
    assert services.sync.calls == []


def test_the_token_works_as_header_for_scripts_and_as_field_for_forms(
    panel: Panel, services: FakeServices
) -> None:
    assert panel.post("/api/sync", json={}).status_code == 202
    token = panel.csrf_token()
    response = panel.post("/accounts", data={"name": "oura", "csrf_token": token}, csrf=False)
    assert response.status_code == 302
    assert services.accounts.get("oura") is not None


def test_a_script_without_cookies_can_use_the_pages_token(
    app: Flask, services: FakeServices
) -> None:
    token = Panel(app).csrf_token()
    cookieless = app.test_client(use_cookies=False)
    trusted = {"REMOTE_ADDR": PROXY}
    response = cookieless.post(
        "/api/sync", json={}, headers={"X-CSRF-Token": token}, environ_overrides=trusted
    )
    assert response.status_code == 202
    forged = cookieless.post(
        "/api/sync", json={}, headers={"X-CSRF-Token": "made-up"}, environ_overrides=trusted
    )
    assert forged.status_code == 403
    assert len(services.sync.calls) == 1
