"""The simulator's OAuth2 behaves like Oura's: codes, rotation, portals, consent, scopes."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from oura_addon.oura.endpoints import DEFAULT_SCOPES
from tests.simulator.conftest import REDIRECT_URI, Served

NEW_TOKEN_PATH = "/oauth/v2/ext/oauth-token"


def authorize_params(**changes: str) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": "demo-client",
        "redirect_uri": REDIRECT_URI,
        "state": "state-42",
        "scope": " ".join(DEFAULT_SCOPES),
    }
    params.update(changes)
    return params


def redirect_query(response) -> dict[str, str]:
    assert response.status_code == 302, response.text[:300]
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def consent(served: Served, decision: str = "approve", **form: object) -> dict[str, str]:
    """Submit the consent form as the page's Approve/Deny buttons would."""
    data = {**authorize_params(), "decision": decision, **form}
    data.pop("scope")
    data["scope"] = form.get("scope", list(DEFAULT_SCOPES))
    response = served.http.post(
        f"{served.url}/oauth/authorize", data=data, allow_redirects=False, timeout=10
    )
    return redirect_query(response)


def exchange(served: Served, code: str, path: str = "/oauth/token", **changes: str):
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": "demo-client",
        "client_secret": "demo-secret",
    }
    form.update(changes)
    return served.token_request(path, **form)


def refresh(served: Served, refresh_token: str, path: str = "/oauth/token", **changes: str):
    form = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": "demo-client",
        "client_secret": "demo-secret",
    }
    form.update(changes)
    return served.token_request(path, **form)


def test_consent_page_names_the_app_the_scopes_and_offers_approve_and_deny(served) -> None:
    page = served.http.get(f"{served.url}/oauth/authorize", params=authorize_params(), timeout=10)
    assert page.status_code == 200
    html = page.text
    assert "demo-client" in html
    for scope in DEFAULT_SCOPES:
        assert re.search(rf'<input type="checkbox" name="scope" value="{scope}" checked>', html)
    assert re.search(r"<button[^>]*>Approve</button>", html)
    assert re.search(r"<button[^>]*>Deny</button>", html)
    assert "Oura account" not in html  # one user: nothing to pick
    assert "http" not in html.replace(REDIRECT_URI, "")  # no external assets


def test_consent_page_offers_an_account_picker_when_there_are_several_users(serve) -> None:
    served = serve(users=3)
    html = served.http.get(
        f"{served.url}/oauth/authorize", params=authorize_params(), timeout=10
    ).text
    assert re.search(r'<label for="user">Oura account</label>\s*<select id="user"', html)
    for user in (1, 2, 3):
        assert f"sleeper{user}@example.com" in html


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"client_id": "someone-else"}, "Unknown client_id"),
        ({"response_type": "token"}, "response_type"),
        ({"redirect_uri": "not a url"}, "redirect_uri"),
    ],
)
def test_bad_authorize_requests_get_a_400_page_instead_of_a_redirect(
    served, change, message
) -> None:
    response = served.http.get(
        f"{served.url}/oauth/authorize",
        params=authorize_params(**change),
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 400
    assert message in response.text


def test_deny_redirects_with_access_denied_and_the_state(served) -> None:
    assert consent(served, decision="deny") == {
        "error": "access_denied",
        "state": "state-42",
        "iss": f"{served.url}/oauth/v2/ext/oauth-anonymous",
    }


def test_approve_then_exchange_gives_tokens_with_the_granted_scopes(served) -> None:
    answer = consent(served)
    assert answer["state"] == "state-42"
    response = exchange(served, answer["code"])
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 86400
    # Both of Oura's token URLs report the new provider's scope names.
    assert set(body["scope"].split()) == {f"extapi:{s}" for s in DEFAULT_SCOPES}
    assert served.get_json("daily_sleep", body["access_token"])["data"]


def test_an_unticked_scope_is_not_granted_and_its_endpoints_answer_403(served) -> None:
    ticked = [s for s in DEFAULT_SCOPES if s != "heartrate"]
    tokens = exchange(served, consent(served, scope=ticked)["code"]).json()
    assert "extapi:heartrate" not in tokens["scope"].split()
    assert "extapi:daily" in tokens["scope"].split()
    assert served.api("heartrate", tokens["access_token"]).json() == {"detail": "Forbidden"}
    assert served.api("daily_sleep", tokens["access_token"]).status_code == 200


def test_personal_info_hides_the_email_without_the_email_scope(served) -> None:
    token = served.tokens(scopes=["personal"])["access_token"]
    info = served.get_json("personal_info", token)
    assert info["email"] is None and info["age"] is not None


def test_the_chosen_account_is_the_one_whose_data_comes_back(serve) -> None:
    served = serve(users=2)
    tokens = exchange(served, consent(served, user="2")["code"]).json()
    assert served.get_json("personal_info", tokens["access_token"])["email"] == (
        "sleeper2@example.com"
    )


def test_a_code_works_only_once(served) -> None:
    code = consent(served)["code"]
    assert exchange(served, code).status_code == 200
    second = exchange(served, code)
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"


def test_a_code_is_bound_to_its_redirect_uri(served) -> None:
    code = consent(served)["code"]
    response = exchange(served, code, redirect_uri="http://localhost:9999/elsewhere")
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "Redirect URI mismatch",
    }


def test_a_code_is_bound_to_its_client(served) -> None:
    code = consent(served)["code"]
    response = exchange(served, code, client_id="another-app")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_a_code_expires_after_ten_minutes(served) -> None:
    fresh, stale = consent(served)["code"], consent(served)["code"]
    served.clock.advance(9 * 60)
    assert exchange(served, fresh).status_code == 200
    served.clock.advance(61)
    response = exchange(served, stale)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_a_wrong_client_secret_is_401_invalid_client(served) -> None:
    response = exchange(served, consent(served)["code"], client_secret="guess")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_client_credentials_may_also_come_as_http_basic(served) -> None:
    code = consent(served)["code"]
    response = served.http.post(
        f"{served.url}/oauth/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI},
        auth=("demo-client", "demo-secret"),
        timeout=10,
    )
    assert response.status_code == 200


def test_an_unknown_grant_type_is_unsupported_grant_type(served) -> None:
    response = served.token_request(
        grant_type="password", client_id="demo-client", client_secret="demo-secret"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_refresh_rotates_and_the_old_refresh_token_is_refused(served) -> None:
    first = exchange(served, consent(served)["code"]).json()
    second = refresh(served, first["refresh_token"])
    assert second.status_code == 200
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert rotated["access_token"] != first["access_token"]
    again = refresh(served, first["refresh_token"])
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert refresh(served, rotated["refresh_token"]).status_code == 200
    # The replaced access token keeps working until it expires, as at Oura.
    assert served.api("daily_sleep", first["access_token"]).status_code == 200


def test_an_expired_access_token_is_401_and_refresh_brings_access_back(served) -> None:
    tokens = served.tokens()
    served.clock.advance(86400 + 1)
    response = served.api("daily_sleep", tokens["access_token"])
    assert response.status_code == 401
    assert isinstance(response.json()["detail"], str)
    renewed = refresh(served, tokens["refresh_token"]).json()
    assert served.api("daily_sleep", renewed["access_token"]).status_code == 200


def test_requests_without_or_with_a_garbage_token_are_401(served) -> None:
    assert served.api("daily_sleep").status_code == 401
    response = served.api("daily_sleep", "not-a-token")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_revoke_ends_the_access_token_and_its_refresh_token(served, method) -> None:
    tokens = served.tokens()
    if method == "GET":
        answer = served.http.get(
            f"{served.url}/oauth/revoke",
            params={"access_token": tokens["access_token"]},
            timeout=10,
        )
    else:
        answer = served.http.post(
            f"{served.url}/oauth/revoke", data={"token": tokens["access_token"]}, timeout=10
        )
    assert answer.status_code == 200
    assert served.api("daily_sleep", tokens["access_token"]).status_code == 401
    assert refresh(served, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_server_side_revocation_of_one_user_leaves_the_other_connected(serve) -> None:
    served = serve(users=2)
    one, two = served.tokens(1), served.tokens(2)
    served.simulator.revoke_all(user=1)
    assert served.api("daily_sleep", one["access_token"]).status_code == 401
    assert refresh(served, one["refresh_token"]).status_code == 400
    assert served.api("daily_sleep", two["access_token"]).status_code == 200


def test_auto_approve_redirects_at_once_for_the_user_asked_for(serve) -> None:
    served = serve(users=2, auto_approve=True)
    response = served.http.get(
        f"{served.url}/oauth/authorize",
        params=authorize_params(user="2"),
        allow_redirects=False,
        timeout=10,
    )
    answer = redirect_query(response)
    assert answer["state"] == "state-42"
    tokens = exchange(served, answer["code"]).json()
    assert served.get_json("personal_info", tokens["access_token"])["email"] == (
        "sleeper2@example.com"
    )


def test_auto_approve_without_a_user_picks_user_one(serve) -> None:
    served = serve(users=2, auto_approve=True)
    response = served.http.get(
        f"{served.url}/oauth/authorize", params=authorize_params(), allow_redirects=False
    )
    tokens = exchange(served, redirect_query(response)["code"]).json()
    assert served.get_json("personal_info", tokens["access_token"])["email"] == (
        "sleeper1@example.com"
    )


def test_legacy_portal_app_is_refused_by_the_new_token_url(served) -> None:
    code = consent(served)["code"]
    refused = exchange(served, code, path=NEW_TOKEN_PATH)
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"
    assert exchange(served, code).status_code == 200  # the refusal did not use the code up


def test_new_portal_app_must_use_the_new_token_url(serve) -> None:
    served = serve(portal="new")
    code = consent(served)["code"]
    assert exchange(served, code).status_code == 401
    tokens = exchange(served, code, path=NEW_TOKEN_PATH)
    assert tokens.status_code == 200
    refresh_token = tokens.json()["refresh_token"]
    assert refresh(served, refresh_token).status_code == 400
    assert refresh(served, refresh_token, path=NEW_TOKEN_PATH).status_code == 200
