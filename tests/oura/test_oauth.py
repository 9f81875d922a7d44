"""OAuth client against a scripted token server on loopback."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from oura_addon.oura.errors import CodeRejected
from oura_addon.oura.oauth import (
    AuthorizationDenied,
    CallbackParams,
    InvalidCallback,
    InvalidClient,
    InvalidGrant,
    OAuthClient,
    OAuthError,
    OuraUnavailable,
    RedirectUriMismatch,
    TokenUrlMemory,
    parse_callback,
)
from oura_addon.oura.tokens import AppCredentials
from oura_addon.settings import Settings
from oura_addon.store.files import VersionedFile
from tests.oura.conftest import LEGACY_TOKEN_PATH, NEW_TOKEN_PATH, Reply, oauth_client

CREDENTIALS = AppCredentials("my-client", "s3cret-value", "classic")
REDIRECT = "http://localhost:8123/oura/callback"
TOKENS = {
    "access_token": "acc-1",
    "refresh_token": "ref-1",
    "token_type": "bearer",
    "expires_in": 86400,
    "scope": "daily heartrate",
}
PRIMARY, FALLBACK = LEGACY_TOKEN_PATH, NEW_TOKEN_PATH


def make_client(server, policy, memory: TokenUrlMemory | None = None) -> OAuthClient:
    return oauth_client(server.url, policy, memory)


class TestParseCallback:
    def test_whole_redirect_url(self) -> None:
        params = parse_callback(f" {REDIRECT}?code=abc123&state=xyz \n")
        assert (params.code, params.state, params.error) == ("abc123", "xyz", None)

    def test_query_string_with_or_without_question_mark(self) -> None:
        assert parse_callback("?code=c1&state=s1") == CallbackParams("c1", "s1")
        assert parse_callback("state=s1&code=c1") == CallbackParams("c1", "s1")

    def test_bare_code(self) -> None:
        assert parse_callback("Ab-12_x.y") == CallbackParams(code="Ab-12_x.y")

    def test_denied_consent_raises_authorization_denied(self) -> None:
        params = parse_callback(f"{REDIRECT}?error=access_denied&state=s")
        assert (params.error, params.state) == ("access_denied", "s")
        with pytest.raises(AuthorizationDenied) as caught:
            params.require_code()
        assert "approve" in caught.value.user_message

    @pytest.mark.parametrize("text", ["", "   ", "http://localhost:8123/", "hello world"])
    def test_nothing_usable_asks_for_the_whole_address(self, text: str) -> None:
        params = parse_callback(text)
        assert params.code is None
        with pytest.raises(InvalidCallback, match="Paste the whole address"):
            params.require_code()

    def test_repr_hides_the_code(self) -> None:
        assert "abc123" not in repr(parse_callback("code=abc123&state=s"))


def test_authorization_url_carries_every_parameter(scripted, policy) -> None:
    url = (
        make_client(scripted, policy)
        .authorization(CREDENTIALS, REDIRECT, "state-1", scopes=("daily", "heartrate"))
        .url
    )
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{scripted.url}/oauth/authorize"
    assert parse_qs(parts.query) == {
        "response_type": ["code"],
        "client_id": ["my-client"],
        "redirect_uri": [REDIRECT],
        "state": ["state-1"],
        "scope": ["daily heartrate"],
    }
    assert "s3cret" not in url


def test_from_settings_builds_urls_from_settings(scripted) -> None:
    settings = Settings(
        oura_api_url="http://127.0.0.1:9",
        oura_auth_url="http://127.0.0.1:8",
        oura_token_url="http://127.0.0.1:9/oauth/token",
        oura_fallback_token_url="http://127.0.0.1:9/fallback",
        oura_issuer_url=f"{scripted.url}/ext/oauth-anonymous",
    )
    client = OAuthClient.from_settings(settings)
    url = client.authorization(CREDENTIALS, REDIRECT, "s").url
    assert url.startswith("http://127.0.0.1:8/oauth/authorize?")
    # No discovery document there: the new provider's documented paths beside the issuer.
    assert client.token_urls_for("any") == (
        f"{scripted.url}/ext/oauth-token",
        "http://127.0.0.1:9/oauth/token",
    )


def test_code_exchange_posts_a_form_and_returns_tokens(scripted, policy) -> None:
    scripted.script(PRIMARY, Reply(200, TOKENS))
    tokens = make_client(scripted, policy).exchange_code(CREDENTIALS, "the-code", REDIRECT)
    assert (tokens.access_token, tokens.refresh_token) == ("acc-1", "ref-1")
    assert tokens.scopes == ("daily", "heartrate")
    (seen,) = scripted.requests_to(PRIMARY)
    assert seen.method == "POST"
    assert seen.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert seen.form == {
        "grant_type": "authorization_code",
        "code": "the-code",
        "redirect_uri": REDIRECT,
        "client_id": "my-client",
        "client_secret": "s3cret-value",
    }


def test_refresh_posts_the_refresh_token(scripted, policy) -> None:
    scripted.script(PRIMARY, Reply(200, {**TOKENS, "refresh_token": "ref-2"}))
    tokens = make_client(scripted, policy).refresh(CREDENTIALS, "ref-1")
    assert tokens.refresh_token == "ref-2"
    (seen,) = scripted.requests_to(PRIMARY)
    assert seen.form["grant_type"] == "refresh_token"
    assert seen.form["refresh_token"] == "ref-1"


@pytest.mark.parametrize("refusal", [401])
def test_refusal_at_primary_retries_once_at_fallback_and_remembers(
    scripted, policy, tmp_path: Path, refusal: int
) -> None:
    scripted.script(PRIMARY, Reply(refusal, {"error": "invalid_client"}))
    scripted.script(FALLBACK, Reply(200, TOKENS))
    memory_path = tmp_path / "token_urls.json"
    client = make_client(scripted, policy, TokenUrlMemory(VersionedFile(memory_path)))

    client.exchange_code(CREDENTIALS, "code-1", REDIRECT)
    assert (len(scripted.requests_to(PRIMARY)), len(scripted.requests_to(FALLBACK))) == (1, 1)

    # A new client reading the same file goes straight to the URL that worked.
    again = make_client(scripted, policy, TokenUrlMemory(VersionedFile(memory_path)))
    again.refresh(CREDENTIALS, "ref-1")
    assert (len(scripted.requests_to(PRIMARY)), len(scripted.requests_to(FALLBACK))) == (1, 2)
    assert VersionedFile(memory_path).read() == {"my-client": f"{scripted.url}{FALLBACK}"}
    assert memory_path.stat().st_mode & 0o777 == 0o600


def test_remembered_fallback_falls_back_to_primary_when_refused(scripted, policy) -> None:
    memory = TokenUrlMemory()
    memory.remember("my-client", f"{scripted.url}{FALLBACK}")
    scripted.script(FALLBACK, Reply(401, {"error": "invalid_client"}))
    scripted.script(PRIMARY, Reply(200, TOKENS))
    make_client(scripted, policy, memory).refresh(CREDENTIALS, "ref-1")
    tried = [s.path for s in scripted.seen if s.path in (PRIMARY, FALLBACK)]
    assert tried == [FALLBACK, PRIMARY]
    assert memory.get("my-client") == f"{scripted.url}{PRIMARY}"


def test_server_error_never_moves_a_refresh_to_the_other_url(scripted, policy, sleeps) -> None:
    scripted.script(PRIMARY, Reply(503, b"<html>down</html>", {"Content-Type": "text/html"}))
    scripted.script(FALLBACK, Reply(200, TOKENS))
    with pytest.raises(OuraUnavailable, match="try again in a few minutes"):
        make_client(scripted, policy).refresh(CREDENTIALS, "ref-1")
    assert len(scripted.requests_to(PRIMARY)) == policy.attempts
    assert scripted.requests_to(FALLBACK) == []
    assert len(sleeps.waits) == policy.attempts - 1


GRANT_REFUSED = Reply(400, {"error": "invalid_grant", "error_description": "Invalid grant"})
CLIENT_REFUSED = Reply(401, {"error": "invalid_client"})


@pytest.mark.parametrize(
    ("grant", "primary", "fallback", "reported", "tries"),
    [
        # The other portal's URL refuses a refresh with invalid_grant, a code with
        # invalid_client, whatever the request: the other URL's answer is the real one.
        ("refresh", GRANT_REFUSED, GRANT_REFUSED, InvalidGrant, (1, 1)),
        ("refresh", CLIENT_REFUSED, GRANT_REFUSED, InvalidClient, (1, 1)),
        ("refresh", GRANT_REFUSED, CLIENT_REFUSED, InvalidClient, (1, 1)),
        # A code refused with invalid_grant may be spent: it is never sent anywhere again.
        ("code", GRANT_REFUSED, CLIENT_REFUSED, CodeRejected, (1, 0)),
        ("code", CLIENT_REFUSED, GRANT_REFUSED, CodeRejected, (1, 1)),
        ("code", CLIENT_REFUSED, CLIENT_REFUSED, InvalidClient, (1, 1)),
    ],
)
def test_when_both_urls_refuse_the_real_refusal_is_reported(
    scripted, policy, grant, primary, fallback, reported, tries
) -> None:
    scripted.script(PRIMARY, primary)
    scripted.script(FALLBACK, fallback)
    client = make_client(scripted, policy)
    with pytest.raises(reported):
        if grant == "refresh":
            client.refresh(CREDENTIALS, "ref-used")
        else:
            client.exchange_code(CREDENTIALS, "code-used", REDIRECT)
    assert (len(scripted.requests_to(PRIMARY)), len(scripted.requests_to(FALLBACK))) == tries


def test_wrong_secret_is_invalid_client(scripted, policy) -> None:
    for path in (PRIMARY, FALLBACK):
        scripted.script(path, Reply(401, {"error": "invalid_client"}))
    with pytest.raises(InvalidClient) as caught:
        make_client(scripted, policy).exchange_code(CREDENTIALS, "code", REDIRECT)
    assert "Copy the client secret again" in caught.value.user_message
    assert caught.value.oura_error == "invalid_client"


def test_redirect_mismatch_names_the_uri_to_register(scripted, policy) -> None:
    refusal = {"error": "invalid_grant", "error_description": "Redirect URI mismatch"}
    for path in (PRIMARY, FALLBACK):
        scripted.script(path, Reply(400, refusal))
    with pytest.raises(RedirectUriMismatch) as caught:
        make_client(scripted, policy).exchange_code(CREDENTIALS, "code", REDIRECT)
    assert f"exactly {REDIRECT}" in caught.value.user_message


@pytest.mark.parametrize(
    "reply",
    [
        Reply(200, b"<html>maintenance</html>", {"Content-Type": "text/html"}),
        Reply(200, {"access_token": "only-half"}),
        Reply(200, ["not", "an", "object"]),
    ],
)
def test_unusable_success_answer_is_oura_unavailable(scripted, policy, reply) -> None:
    scripted.script(PRIMARY, reply)
    with pytest.raises(OuraUnavailable):
        make_client(scripted, policy).exchange_code(CREDENTIALS, "code", REDIRECT)


def test_unreachable_token_server_is_oura_unavailable(policy) -> None:
    client = OAuthClient(
        authorize_url="http://127.0.0.1:9/oauth/authorize",
        token_url="http://127.0.0.1:9/oauth/token",
        fallback_token_url="http://127.0.0.1:9/fallback",
        revoke_url="http://127.0.0.1:9/oauth/revoke",
        policy=policy,
    )
    with pytest.raises(OuraUnavailable):
        client.refresh(CREDENTIALS, "ref-1")
    assert client.revoke("acc-1") is False


def test_revoke_sends_the_token_in_the_body_and_reports_success(scripted, policy) -> None:
    scripted.script("/oauth/revoke", Reply(200, {}))
    assert make_client(scripted, policy).revoke("acc-1") is True
    (seen,) = scripted.requests_to("/oauth/revoke")
    assert seen.form["access_token"] == "acc-1"
    assert seen.query == {}


def test_revoke_refused_is_false_not_an_exception(scripted, policy) -> None:
    scripted.script("/oauth/revoke", Reply(400, {"error": "invalid_token"}))
    assert make_client(scripted, policy).revoke("acc-1") is False


def test_errors_never_carry_the_secret_or_the_code(scripted, policy) -> None:
    scripted.script(PRIMARY, Reply(400, {"error": "invalid_grant"}))
    scripted.script(FALLBACK, Reply(400, {"error": "invalid_grant"}))
    with pytest.raises(OAuthError) as caught:
        make_client(scripted, policy).exchange_code(CREDENTIALS, "secret-code-9", REDIRECT)
    text = f"{caught.value} {caught.value.user_message} {caught.value!r}"
    assert "secret-code-9" not in text
    assert "s3cret-value" not in text


def test_corrupt_memory_file_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "token_urls.json"
    path.write_text("{not json")
    memory = TokenUrlMemory(VersionedFile(path))
    assert memory.get("my-client") is None
    memory.remember("my-client", "http://127.0.0.1:1/x")
    assert TokenUrlMemory(VersionedFile(path)).get("my-client") == "http://127.0.0.1:1/x"


PROXY_PAGE = Reply(400, b"<html><body><h1>400 Bad Request</h1>nginx</body></html>")


@pytest.mark.parametrize(
    ("primary", "fallback"),
    [
        (PROXY_PAGE, PROXY_PAGE),
        (Reply(400, {"detail": "Bad Request"}), Reply(400, {"detail": "Bad Request"})),
        (Reply(401, b""), Reply(401, b"")),
        # Only the other portal's fixed refusal is an OAuth error: it says nothing about us.
        (PROXY_PAGE, GRANT_REFUSED),
    ],
)
def test_a_refresh_refused_by_something_that_is_not_oauth_is_temporary(
    scripted, policy, primary, fallback
) -> None:
    scripted.script(PRIMARY, primary)
    scripted.script(FALLBACK, fallback)
    with pytest.raises(OuraUnavailable) as caught:
        make_client(scripted, policy).refresh(CREDENTIALS, "ref-1")
    assert "tries again later" in caught.value.user_message


@pytest.mark.parametrize(("remembered", "portal"), [(FALLBACK, "new"), (PRIMARY, "classic")])
def test_an_upgraded_install_keeps_refreshing_where_it_refreshed_before(
    scripted, policy, remembered, portal
) -> None:
    # Installs from before the portal choice: no portal stored, the token URL remembered.
    memory = TokenUrlMemory()
    memory.remember("my-client", f"{scripted.url}{remembered}")
    scripted.script(remembered, Reply(200, TOKENS))
    client = make_client(scripted, policy, memory)
    upgraded = AppCredentials("my-client", "s3cret-value")
    assert client.portal_for(upgraded) == portal
    client.refresh(upgraded, "ref-1")
    assert [s.path for s in scripted.seen if s.method == "POST"] == [remembered]


def test_a_fresh_install_without_a_choice_uses_the_new_portal(scripted, policy) -> None:
    client = make_client(scripted, policy)
    assert client.portal_for(AppCredentials("my-client", "s3cret-value")) == "new"
    url = client.authorization(AppCredentials("my-client", "s"), REDIRECT, "st").url
    assert urlsplit(url).path == "/oauth/v2/ext/oauth-authorize"  # the documented path


def test_token_errors_keep_ouras_words_without_any_secret(scripted, policy) -> None:
    said = {"error": "invalid_client", "error_description": "Bad secret s3cret-value for code"}
    for path in (PRIMARY, FALLBACK):
        scripted.script(path, Reply(401, said))
    with pytest.raises(InvalidClient) as caught:
        make_client(scripted, policy).exchange_code(CREDENTIALS, "code", REDIRECT)
    assert caught.value.oura_error == "invalid_client"
    assert caught.value.oura_description == "Bad secret … for …"
    assert "s3cret" not in (caught.value.oura_answer or "")
