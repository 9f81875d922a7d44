"""OAuth and data calls against the Oura simulator over real HTTP on loopback."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest

from oura_addon.http import new_session
from oura_addon.oura.client import AccessDenied, OuraClient, Unauthorized
from oura_addon.oura.endpoints import DEFAULT_SCOPES, ENDPOINTS, ENDPOINTS_BY_NAME
from oura_addon.oura.oauth import (
    InvalidClient,
    InvalidGrant,
    OAuthClient,
    RedirectUriMismatch,
    TokenUrlMemory,
    parse_callback,
)
from oura_addon.oura.tokens import AppCredentials, TokenSet
from oura_addon.store.files import VersionedFile
from tests.oura.conftest import LEGACY_TOKEN_PATH, NEW_TOKEN_PATH, FakeTokens, oauth_client

simulator = pytest.importorskip("oura_addon.simulator")
if not hasattr(simulator, "create_simulator"):
    pytest.skip("the Oura simulator package is not there yet", allow_module_level=True)

TODAY = date(2024, 11, 11)
REDIRECT = "http://localhost:8123/oura/callback"
CREDENTIALS = AppCredentials("demo-client", "demo-secret", "classic")
V2 = "/v2/usercollection"


@dataclass
class Cloud:
    sim: object
    url: str

    def oauth(self, policy, memory: TokenUrlMemory | None = None) -> OAuthClient:
        return oauth_client(self.url, policy, memory)

    def count(self, path: str) -> int:
        """Requests to exactly ``path`` (``sleep`` is a prefix of ``sleep_time``)."""
        return sum(1 for entry in self.sim.requests.entries() if entry.path == path)


@pytest.fixture
def cloud(request) -> Iterator[Cloud]:
    changes = getattr(request, "param", {})
    config = simulator.SimulatorConfig(auto_approve=True, today=TODAY, **changes)
    sim = simulator.create_simulator(config)
    with simulator.SimulatorServer(sim, port=0) as server:
        yield Cloud(sim, server.url)


def authorize(cloud: Cloud, oauth: OAuthClient, scopes=DEFAULT_SCOPES, redirect=REDIRECT):
    """Play the user's browser: open the authorize URL, return what the redirect carried."""
    return consent(oauth, scopes, redirect)[0]


def consent(oauth: OAuthClient, scopes=DEFAULT_SCOPES, redirect=REDIRECT, credentials=None):
    """(callback parameters, the authorization they answer) for one consent round trip."""
    authorization = oauth.authorization(credentials or CREDENTIALS, redirect, "state-42", scopes)
    with new_session("test-browser") as browser:
        answer = browser.get(authorization.url, allow_redirects=False, timeout=10)
    assert answer.status_code in (302, 303), answer.text[:200]
    location = answer.headers["Location"]
    assert location.startswith(redirect)
    return parse_callback(location), authorization


def connect(cloud: Cloud, oauth: OAuthClient, scopes=DEFAULT_SCOPES) -> TokenSet:
    callback, authorization = consent(oauth, scopes)
    assert callback.state == "state-42"
    return oauth.exchange_code(
        CREDENTIALS,
        callback.require_code(),
        REDIRECT,
        portal=authorization.portal,
        code_verifier=authorization.code_verifier,
    )


class Session:
    """A minimal token provider: refreshes through the OAuth client when forced."""

    def __init__(self, oauth: OAuthClient, tokens: TokenSet) -> None:
        self.oauth = oauth
        self.tokens = tokens
        self.refreshes = 0

    def access_token(self, force_refresh: bool = False) -> str:
        if force_refresh:
            self.tokens = self.oauth.refresh(CREDENTIALS, self.tokens.refresh_token)
            self.refreshes += 1
        return self.tokens.access_token


@pytest.fixture
def connected(cloud, policy) -> tuple[Session, OuraClient]:
    oauth = cloud.oauth(policy)
    session = Session(oauth, connect(cloud, oauth))
    return session, OuraClient(cloud.url, session, policy=policy)


def test_full_oauth_flow_then_data(cloud, policy) -> None:
    oauth = cloud.oauth(policy)
    tokens = connect(cloud, oauth)
    assert set(tokens.scopes) == set(DEFAULT_SCOPES)
    client = OuraClient(cloud.url, Session(oauth, tokens), policy=policy)
    records = client.fetch("daily_sleep", TODAY, TODAY)
    assert [r.day for r in records] == [TODAY]
    assert 0 <= records[0].score <= 100
    assert client.personal_info().age is not None


def test_refresh_rotates_and_old_refresh_token_is_refused(cloud, policy) -> None:
    oauth = cloud.oauth(policy)
    first = connect(cloud, oauth)
    second = oauth.refresh(CREDENTIALS, first.refresh_token)
    assert second.refresh_token != first.refresh_token
    with pytest.raises(InvalidGrant, match="Reconnect"):
        oauth.refresh(CREDENTIALS, first.refresh_token)
    # The refusal did not spend the live one.
    assert oauth.refresh(CREDENTIALS, second.refresh_token).access_token


def test_used_code_is_refused(cloud, policy) -> None:
    oauth = cloud.oauth(policy)
    code = authorize(cloud, oauth).require_code()
    oauth.exchange_code(CREDENTIALS, code, REDIRECT)
    with pytest.raises(InvalidGrant):
        oauth.exchange_code(CREDENTIALS, code, REDIRECT)


def test_rate_limit_waits_retry_after_seconds(cloud, connected, sleeps) -> None:
    _, client = connected
    cloud.sim.faults.rate_limit(count=1, retry_after=7)
    assert len(client.fetch("daily_readiness", TODAY, TODAY)) == 1
    assert sleeps.waits == [7.0]
    assert cloud.count(f"{V2}/daily_readiness") == 2


def test_server_error_then_success(cloud, connected, sleeps) -> None:
    _, client = connected
    cloud.sim.faults.server_error(count=2, status=502)
    assert len(client.fetch("daily_activity", TODAY, TODAY)) == 1
    assert cloud.count(f"{V2}/daily_activity") == 3
    assert len(sleeps.waits) == 2


def test_dropped_connection_then_success(cloud, connected) -> None:
    _, client = connected
    cloud.sim.faults.drop_connection(count=1)
    assert len(client.fetch("daily_sleep", TODAY, TODAY)) == 1
    assert cloud.count(f"{V2}/daily_sleep") == 2


def test_expired_token_costs_exactly_one_refresh(cloud, connected) -> None:
    session, client = connected
    cloud.sim.faults.expire_tokens()
    assert len(client.fetch("daily_sleep", TODAY, TODAY)) == 1
    assert session.refreshes == 1
    assert cloud.count(LEGACY_TOKEN_PATH) == 2  # the exchange, then the one refresh
    assert cloud.count(f"{V2}/daily_sleep") == 2


def test_token_refused_even_after_refresh_is_unauthorized(cloud, policy) -> None:
    tokens = FakeTokens()  # tokens the simulator never issued
    client = OuraClient(cloud.url, tokens, policy=policy)
    with pytest.raises(Unauthorized, match="Reconnect"):
        client.fetch("daily_sleep", TODAY, TODAY)
    assert tokens.forced == 1
    assert cloud.count(f"{V2}/daily_sleep") == 2


def test_revoked_account_ends_the_sync_as_unauthorized(cloud, connected) -> None:
    _, client = connected
    cloud.sim.faults.revoke(1)
    with pytest.raises(Unauthorized):
        client.sync(ENDPOINTS, TODAY, TODAY)
    assert cloud.count(f"{V2}/daily_readiness") == 0


def test_forbidden_endpoint_fails_alone(cloud, connected) -> None:
    _, client = connected
    cloud.sim.faults.forbid("daily_stress")
    names = ("daily_sleep", "daily_stress", "daily_readiness")
    result = client.sync([ENDPOINTS_BY_NAME[n] for n in names], TODAY, TODAY)
    assert isinstance(result.errors["daily_stress"], AccessDenied)
    assert "daily_stress" in result.errors["daily_stress"].user_message
    assert len(result.records["daily_sleep"]) == 1
    assert len(result.records["daily_readiness"]) == 1


@pytest.mark.parametrize("cloud", [{"portal": "new"}], indirect=True)
def test_new_portal_app_falls_back_once_then_remembers(cloud, policy, tmp_path) -> None:
    memory_path = tmp_path / "token_urls.json"
    oauth = cloud.oauth(policy, TokenUrlMemory(VersionedFile(memory_path)))
    tokens = connect(cloud, oauth)
    assert (cloud.count(LEGACY_TOKEN_PATH), cloud.count(NEW_TOKEN_PATH)) == (1, 1)

    connect(cloud, oauth)
    assert (cloud.count(LEGACY_TOKEN_PATH), cloud.count(NEW_TOKEN_PATH)) == (1, 2)

    # After a restart (new client, same file) refreshes go straight to the new URL too.
    restarted = cloud.oauth(policy, TokenUrlMemory(VersionedFile(memory_path)))
    restarted.refresh(CREDENTIALS, tokens.refresh_token)
    assert (cloud.count(LEGACY_TOKEN_PATH), cloud.count(NEW_TOKEN_PATH)) == (1, 3)


@pytest.mark.parametrize("cloud", [{"portal": "new"}], indirect=True)
def test_new_portal_refresh_refused_at_legacy_url_still_succeeds(cloud, policy) -> None:
    tokens = connect(cloud, cloud.oauth(policy))
    fresh = cloud.oauth(policy)  # knows nothing: tries the legacy URL first
    renewed = fresh.refresh(CREDENTIALS, tokens.refresh_token)
    assert renewed.access_token != tokens.access_token


def test_wrong_secret_is_invalid_client(cloud, policy) -> None:
    oauth = cloud.oauth(policy)
    code = authorize(cloud, oauth).require_code()
    with pytest.raises(InvalidClient, match="client secret"):
        oauth.exchange_code(AppCredentials("demo-client", "wrong"), code, REDIRECT)


def test_redirect_mismatch_says_what_to_register(cloud, policy) -> None:
    oauth = cloud.oauth(policy)
    code = authorize(cloud, oauth).require_code()
    with pytest.raises(RedirectUriMismatch) as caught:
        oauth.exchange_code(CREDENTIALS, code, "http://localhost:9999/other")
    assert "exactly http://localhost:9999/other" in caught.value.user_message


def test_ungranted_scope_is_never_called(cloud, policy) -> None:
    oauth = cloud.oauth(policy)
    scopes = tuple(s for s in DEFAULT_SCOPES if s != "heartrate")
    tokens = connect(cloud, oauth, scopes)
    client = OuraClient(cloud.url, Session(oauth, tokens), policy=policy)
    result = client.sync(ENDPOINTS, TODAY, TODAY, granted=tokens.grants)
    assert result.skipped == ("heartrate",)
    assert cloud.count(f"{V2}/heartrate") == 0
    assert result.errors == {}


def test_one_day_sync_costs_one_request_per_endpoint(cloud, connected) -> None:
    _, client = connected
    cloud.sim.requests.clear()
    result = client.sync(ENDPOINTS, TODAY, TODAY)
    assert result.errors == {}
    for endpoint in ENDPOINTS:
        assert cloud.count(endpoint.path) == 1, endpoint.name
    assert cloud.sim.requests.count(V2) == len(ENDPOINTS)
    assert [r.day for r in result.records["daily_readiness"]] == [TODAY]
    assert len(result.records["heartrate"]) > 100
    assert len(result.records["ring_battery_level"]) == 1


def test_no_secret_reaches_any_log_line(cloud, policy, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    oauth = cloud.oauth(policy)
    code = authorize(cloud, oauth).require_code()
    first = oauth.exchange_code(CREDENTIALS, code, REDIRECT)
    session = Session(oauth, first)
    client = OuraClient(cloud.url, session, policy=policy)
    cloud.sim.faults.expire_tokens()
    cloud.sim.faults.rate_limit(count=1, retry_after=1)
    cloud.sim.faults.server_error(count=1)
    cloud.sim.faults.forbid("daily_stress")
    client.sync(ENDPOINTS, TODAY, TODAY)
    with pytest.raises(InvalidGrant):
        oauth.refresh(CREDENTIALS, first.refresh_token)
    with pytest.raises(InvalidClient):
        oauth.refresh(AppCredentials("demo-client", "wrong-secret"), session.tokens.refresh_token)
    oauth.revoke(session.tokens.access_token)

    assert session.refreshes == 1
    secrets = {
        code,
        first.access_token,
        first.refresh_token,
        session.tokens.access_token,
        session.tokens.refresh_token,
        CREDENTIALS.client_secret,
        "wrong-secret",
    }
    messages = [r.getMessage() for r in caplog.records]
    assert any("daily_stress" in m for m in messages)  # the capture did see the flow
    for message in messages:
        for secret in secrets:
            assert secret not in message
