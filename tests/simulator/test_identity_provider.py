"""The simulator's new identity provider (developer.ouraring.com apps) behaves as described
in ../shared/README.md: discovery, ``extapi:`` scopes, PKCE, ``iss``, a 401 naming a missing
scope, localhost-only plain-http redirects, a per-app user limit."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from oura_addon.oura.endpoints import DEFAULT_SCOPES
from oura_addon.simulator.oauth import s256
from tests.simulator.conftest import REDIRECT_URI, Served

BASE = "/oauth/v2/ext"
ISSUER_PATH = f"{BASE}/oauth-anonymous"
VERIFIER = "v" * 64
EXTAPI = " ".join(f"extapi:{s}" for s in DEFAULT_SCOPES)


def discovery(served: Served) -> dict:
    response = served.http.get(
        f"{served.url}{ISSUER_PATH}/.well-known/openid-configuration", timeout=10
    )
    assert response.status_code == 200
    return response.json()


def authorize(served: Served, path: str = f"{BASE}/oauth-authorize", **changes: str) -> dict:
    """Auto-approved authorize request: the callback's query parameters."""
    params = {
        "response_type": "code",
        "client_id": "demo-client",
        "redirect_uri": REDIRECT_URI,
        "state": "s-1",
        "scope": EXTAPI,
        "code_challenge": s256(VERIFIER),
        "code_challenge_method": "S256",
        **changes,
    }
    response = served.http.get(
        f"{served.url}{path}", params=params, allow_redirects=False, timeout=10
    )
    assert response.status_code == 302, response.text[:300]
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    return {k: v[0] for k, v in query.items()}


def exchange(served: Served, code: str, path: str = f"{BASE}/oauth-token", **changes: str):
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": "demo-client",
        "client_secret": "demo-secret",
        "code_verifier": VERIFIER,
        **changes,
    }
    return served.token_request(path, **form)


@pytest.fixture
def new_app(serve) -> Served:
    return serve(portal="new", auto_approve=True, users=3)


def test_discovery_names_the_endpoints_the_issuer_pkce_and_extapi_scopes(new_app) -> None:
    document = discovery(new_app)
    assert document["issuer"] == f"{new_app.url}{ISSUER_PATH}"
    assert document["authorization_endpoint"] == f"{new_app.url}{BASE}/oauth-authorize"
    assert document["token_endpoint"] == f"{new_app.url}{BASE}/oauth-token"
    assert document["revocation_endpoint"] == f"{new_app.url}{BASE}/oauth-revoke"
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert "extapi:daily" in document["scopes_supported"]


def test_new_app_connects_with_extapi_scopes_pkce_and_iss(new_app) -> None:
    answer = authorize(new_app)
    assert answer["iss"] == f"{new_app.url}{ISSUER_PATH}"
    assert answer["state"] == "s-1"
    tokens = exchange(new_app, answer["code"])
    assert tokens.status_code == 200
    assert set(tokens.json()["scope"].split()) == set(EXTAPI.split())
    assert new_app.get_json("daily_sleep", tokens.json()["access_token"])["data"]


def test_bare_scope_names_are_silently_not_granted(new_app) -> None:
    answer = authorize(new_app, scope="daily extapi:personal heartrate")
    body = exchange(new_app, answer["code"]).json()
    assert body["scope"] == "extapi:personal"
    refused = new_app.api("daily_sleep", body["access_token"])
    assert refused.status_code == 401
    assert refused.json() == {"detail": "Token is not authorized access daily scope."}


def test_a_wrong_or_missing_code_verifier_is_refused_and_a_right_one_still_works(new_app) -> None:
    code = authorize(new_app)["code"]
    wrong = exchange(new_app, code, code_verifier="w" * 64)
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    assert exchange(new_app, code, code_verifier="").status_code == 400
    assert exchange(new_app, code).status_code == 200


def test_a_127_0_0_1_redirect_uri_is_refused_localhost_is_fine(new_app) -> None:
    response = new_app.http.get(
        f"{new_app.url}{BASE}/oauth-authorize",
        params={
            "response_type": "code",
            "client_id": "demo-client",
            "redirect_uri": "http://127.0.0.1:8123/cb",
            "scope": EXTAPI,
        },
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 400
    assert "invalid_request" in response.text
    assert authorize(new_app, redirect_uri="http://localhost:8123/cb")["code"]


def test_the_classic_authorize_url_drops_a_new_apps_scopes(new_app) -> None:
    answer = authorize(new_app, path="/oauth/authorize", scope=" ".join(DEFAULT_SCOPES))
    assert answer["iss"] == f"{new_app.url}{ISSUER_PATH}"
    refused = exchange(new_app, answer["code"], path="/oauth/token")
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"
    body = exchange(new_app, answer["code"]).json()
    assert body["scope"] == ""


def test_refresh_tokens_rotate_and_the_classic_url_refuses_them(new_app) -> None:
    body = exchange(new_app, authorize(new_app)["code"]).json()
    form = {
        "grant_type": "refresh_token",
        "refresh_token": body["refresh_token"],
        "client_id": "demo-client",
        "client_secret": "demo-secret",
    }
    classic = new_app.token_request("/oauth/token", **form)
    assert classic.status_code == 400
    assert classic.json()["error"] == "invalid_request"
    renewed = new_app.token_request(f"{BASE}/oauth-token", **form)
    assert renewed.status_code == 200
    again = new_app.token_request(f"{BASE}/oauth-token", **form)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_revoke_at_the_new_provider_ends_the_token(new_app) -> None:
    body = exchange(new_app, authorize(new_app)["code"]).json()
    response = new_app.http.post(
        f"{new_app.url}{BASE}/oauth-revoke",
        data={"token": body["access_token"], "client_id": "demo-client"},
        timeout=10,
    )
    assert response.status_code == 200
    assert new_app.api("daily_sleep", body["access_token"]).status_code == 401


def test_an_app_serves_at_most_its_user_limit(serve) -> None:
    served = serve(portal="new", auto_approve=True, users=3, user_limit=2)
    for user in ("1", "2", "1"):
        assert exchange(served, authorize(served, user=user)["code"]).status_code == 200
    refused = exchange(served, authorize(served, user="3")["code"])
    assert refused.status_code == 400
    assert refused.json()["error"] == "unauthorized_client"
    assert "maximum number of users (2)" in refused.json()["error_description"]


def test_a_classic_app_is_refused_by_the_new_token_url(serve) -> None:
    served = serve(portal="classic", auto_approve=True)
    code = authorize(served)["code"]
    assert exchange(served, code).status_code == 401
    assert exchange(served, code, path="/oauth/token").status_code == 200


def test_the_deprecated_tag_route_and_the_sandbox_routes_are_served(serve) -> None:
    served = serve(days=60)
    token = served.tokens()["access_token"]
    tags = served.get_json("tag", token, start_date="2025-01-01")["data"]
    assert tags and set(tags[0]) == {"id", "day", "text", "timestamp", "tags"}
    single = served.api(f"tag/{tags[0]['id']}", token)
    assert single.status_code == 200 and single.json() == tags[0]
    sandbox = served.http.get(
        f"{served.url}/v2/sandbox/usercollection/daily_sleep",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert sandbox.status_code == 200 and sandbox.json()["data"]
