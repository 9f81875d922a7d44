"""Small in-memory stand-ins for the collaborators the panel gets in its ``Services`` bundle.

Written against the interfaces of AccountStore, AppCredentialsStore, OAuthClient, OuraClient
and the scheduler; they record calls so tests can assert what the panel asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from oura_addon.history_import.job import (
    HistoryBusy,
    HistoryJob,
    cancelled,
    new_job,
    status_json,
    with_first_day,
)
from oura_addon.i18n import Day, _l
from oura_addon.logs import SecretRedactor
from oura_addon.oura.errors import OAuthError, OuraApiError, WrongIssuer
from oura_addon.oura.implementations import Authorization
from oura_addon.oura.tokens import AppCredentials, TokenSet
from oura_addon.services import AccountSnapshot, AddonSnapshot, HomeAssistantState, Services
from oura_addon.settings import Settings
from oura_addon.states import EntityState, entity_prefix
from oura_addon.store.accounts import validate_name

CLIENT_ID = "fake-client-id"
CLIENT_SECRET = "fake-client-secret-s3cr3t"
ACCESS_TOKEN = "fake-access-token-AAAA1111"
REFRESH_TOKEN = "fake-refresh-token-RRRR2222"
AUTH_CODE = "fake-auth-code-CCCC3333"
EMAIL = "sleeper@example.com"
ISSUER = "https://moi.ouraring.com/oauth/v2/ext/oauth-anonymous"
SECRETS = (CLIENT_SECRET, ACCESS_TOKEN, REFRESH_TOKEN, AUTH_CODE)


@dataclass(frozen=True)
class FakeAccount:
    name: str
    entity_prefix: str
    email: str | None = None
    connection: str = "not_connected"
    auth_error: str | None = None
    has_tokens: bool = False
    scopes: tuple[str, ...] = ()
    oura_user_id: str | None = None

    @property
    def connected(self) -> bool:
        return self.connection == "connected"


class FakeAccountStore:
    """Registers the tokens it stores with ``on_secret``, like the real store."""

    def __init__(self, on_secret: Callable[[str], None] | None = None) -> None:
        self.accounts: dict[str, FakeAccount] = {}
        self.stored_tokens: dict[str, TokenSet] = {}
        self._on_secret = on_secret

    def validate_name(self, name: str) -> None:
        validate_name(name)  # the real rule and its sentence

    def create(
        self, name: str, check: Callable[[str, Collection[str]], None] | None = None
    ) -> FakeAccount:
        self.validate_name(name)
        taken = {a.entity_prefix for a in self.accounts.values()}
        prefix = entity_prefix(name, taken)
        if check is not None:
            check(prefix, taken)
        account = FakeAccount(name, prefix)
        self.accounts[name] = account
        return account

    def get(self, name: str) -> FakeAccount | None:
        return self.accounts.get(name)

    def list(self) -> list[FakeAccount]:
        return list(self.accounts.values())

    def delete(self, name: str) -> None:
        self.accounts.pop(name, None)
        self.stored_tokens.pop(name, None)

    def begin_removal(self, name: str) -> None:
        pass  # the fake's delete is immediate

    def unsaved(self) -> list[str]:
        return []

    def save_tokens(
        self,
        name: str,
        tokens: TokenSet,
        email: str | None = None,
        oura_user_id: str | None = None,
    ) -> None:
        account = self.accounts[name]
        self.stored_tokens[name] = tokens
        if self._on_secret:
            self._on_secret(tokens.access_token)
            self._on_secret(tokens.refresh_token)
        self.accounts[name] = replace(
            account,
            connection="connected",
            has_tokens=True,
            auth_error=None,
            email=email if email is not None else account.email,
            oura_user_id=oura_user_id or account.oura_user_id,
        )

    def set_email(self, name: str, email: str | None) -> None:
        self.accounts[name] = replace(self.accounts[name], email=email)

    def mark_auth_lost(self, name: str, message: str, *, refused: object = None) -> None:
        self.accounts[name] = replace(
            self.accounts[name], connection="needs_reconnect", auth_error=message
        )

    def tokens(self, name: str) -> TokenSet | None:
        return self.stored_tokens.get(name)


class FakeCredentialsStore:
    def __init__(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        source: str | None = None,
        on_secret: Callable[[str], None] | None = None,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.source = source if client_id else None
        self._on_secret = on_secret
        self.portal: str | None = None

    def get(self) -> AppCredentials | None:
        if self.client_id and self.client_secret:
            return AppCredentials(self.client_id, self.client_secret, self.portal)
        return None

    def save(self, client_id: str, client_secret: str, portal: str | None = None) -> None:
        self.client_id = client_id
        if client_secret:
            self.client_secret = client_secret
            if self._on_secret:
                self._on_secret(client_secret)
        if portal is not None:
            self.portal = portal
        self.source = "panel"

    def set_portal(self, portal: str) -> None:
        self.portal = portal

    def clear(self) -> None:
        self.client_id = self.client_secret = self.source = None

    def describe(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "source": self.source,
            "has_secret": bool(self.client_secret),
            "portal": self.portal,
        }


class FakeOAuth:
    """Answers like Oura: a consent URL, a token pair for the code, or a prepared error."""

    def __init__(self) -> None:
        self.exchange_error: OAuthError | None = None
        self.exchanges: list[tuple[str, str]] = []
        self.revoked: list[str] = []
        self.learned_portal: str | None = None
        # The portal whose token URL "answers" the exchange (None: the chosen one).
        self.answering_portal: str | None = None
        self.granted: tuple[str, ...] = ("daily", "email")

    def portal_for(self, credentials: AppCredentials) -> str:
        return self.learned_portal or credentials.portal or "new"

    def choose_portal(self, credentials: AppCredentials, portal: str) -> None:
        self.learned_portal = portal

    def authorization(
        self, credentials: AppCredentials, redirect_uri: str, state: str, scopes: Any = ()
    ) -> Authorization:
        url = (
            "https://oura.invalid/oauth/authorize?client_id="
            f"{credentials.client_id}&redirect_uri={redirect_uri}&state={state}"
        )
        return Authorization(url, self.portal_for(credentials), "verifier")

    def check_issuer(self, iss: str | None) -> None:
        if iss is not None and iss != ISSUER:
            raise WrongIssuer(iss)

    def exchange_code(
        self,
        credentials: AppCredentials,
        code: str,
        redirect_uri: str,
        *,
        portal: str | None = None,
        code_verifier: str | None = None,
    ) -> TokenSet:
        self.exchanges.append((code, redirect_uri))
        if self.exchange_error is not None:
            raise self.exchange_error
        if self.answering_portal is not None:
            self.learned_portal = self.answering_portal
        return TokenSet(
            ACCESS_TOKEN,
            REFRESH_TOKEN,
            expires_at=4_000_000_000.0,
            scopes=self.granted,
            scopes_known=True,
        )

    def revoke(self, access_token: str, credentials: AppCredentials | None = None) -> bool:
        self.revoked.append(access_token)
        return True


@dataclass
class FakePersonalInfo:
    email: str | None
    id: str | None = None


class FakeOuraClient:
    def __init__(self, email: str | None, error: Exception | None) -> None:
        self._email = email
        self._error = error

    def personal_info(self) -> FakePersonalInfo:
        if self._error is not None:
            raise self._error
        return FakePersonalInfo(self._email, self._user_id)

    _user_id: str | None = None


@dataclass
class FakeOuraClients:
    email: str | None = EMAIL
    error: Exception | None = None
    # Oura's id of the person behind every new token; None: unknown (no same-user check).
    user_id: str | None = None

    def __call__(self, account: str) -> FakeOuraClient:
        client = FakeOuraClient(self.email, self.error)
        client._user_id = self.user_id
        return client

    def identity(self, access_token: str) -> FakePersonalInfo:
        """Who a fresh token belongs to (``Services.oura_identity``)."""
        return self("").personal_info()


def sample_states(prefix: str) -> tuple[EntityState, ...]:
    def sensor(key: str, state: str, name: str, unit: str = "") -> EntityState:
        attributes: dict[str, Any] = {"friendly_name": name}
        if unit:
            attributes["unit_of_measurement"] = unit
        return EntityState(f"sensor.{prefix}_{key}", state, attributes)

    return (
        sensor("sleep_score", "82", "Oura Sleep score"),
        sensor("readiness_score", "77", "Oura Readiness score"),
        sensor("activity_score", "91", "Oura Activity score"),
        sensor("average_hrv", "48", "Oura Average HRV", "ms"),
        sensor("lowest_heart_rate", "51", "Oura Lowest heart rate", "bpm"),
        sensor("total_sleep_duration", "7.4", "Oura Total sleep", "h"),
        sensor("steps", "10234", "Oura Steps", "steps"),
    )


SAMPLE_TODAY = date(2025, 1, 30)


def sample_trend_days(days: int = 30) -> dict[str, dict[str, float]]:
    """Stored trend values of the 30 days up to SAMPLE_TODAY, one day in seven missing."""
    start = SAMPLE_TODAY - timedelta(days=days - 1)
    values = {
        (start + timedelta(days=i)).isoformat(): float(70 + i % 10)
        for i in range(days)
        if i % 7 != 3
    }
    return {"sleep_score": values, "readiness_score": values, "average_hrv": values}


@dataclass
class FakeSync:
    home_assistant: HomeAssistantState = HomeAssistantState.CONNECTED
    home_assistant_error: str | None = None
    home_assistant_url: str = "http://supervisor/core/api"
    snapshots: dict[str, AccountSnapshot] = field(default_factory=dict)
    calls: list[tuple[str, Any]] = field(default_factory=list)

    def sync_now(self, account: str | None = None) -> None:
        self.calls.append(("sync_now", account))

    def account_snapshot(self, account: str) -> AccountSnapshot:
        return self.snapshots[account]

    def addon_snapshot(self) -> AddonSnapshot:
        return AddonSnapshot(
            self.home_assistant,
            self.home_assistant_url,
            datetime(2025, 1, 30, 7, 0, tzinfo=UTC),
            error=self.home_assistant_error,
        )

    def account_connected(self, account: str) -> None:
        self.calls.append(("account_connected", account))

    def account_removed(self, account: str, entity_prefix: str) -> None:
        self.calls.append(("account_removed", (account, entity_prefix)))


@dataclass
class FakeHistory:
    """The history import as the panel drives it: the real job values, no thread."""

    jobs: dict[str, HistoryJob] = field(default_factory=dict)
    calls: list[tuple[str, Any]] = field(default_factory=list)

    def status(self, account: str) -> dict[str, Any]:
        return status_json(self.jobs.get(account, HistoryJob()))

    def start(self, account: str, start: date | None = None) -> HistoryJob:
        if start is not None and start > date(2025, 1, 29):
            raise ValueError(
                _l("The start must be %(day)s or earlier.", day=Day(date(2025, 1, 29)))
            )
        if self.jobs.get(account, HistoryJob()).running:
            raise HistoryBusy(account)
        self.calls.append(("start", (account, start)))
        job = with_first_day(
            new_job(start, date(2025, 1, 29), ("sleep", "activity"), "run"), date(2024, 1, 1)
        )
        self.jobs[account] = job
        return job

    def cancel(self, account: str) -> HistoryJob:
        self.calls.append(("cancel", account))
        self.jobs[account] = cancelled(self.jobs.get(account, HistoryJob()))
        return self.jobs[account]

    def first_connection(self, account: str, days: int) -> None:
        self.calls.append(("first_connection", (account, days)))

    def forget(self, account: str) -> None:
        self.calls.append(("forget", account))
        self.jobs.pop(account, None)


@dataclass
class FakeServices:
    """The parts of a ``Services`` bundle, kept typed as fakes for the tests' assertions."""

    settings: Settings
    accounts: FakeAccountStore
    credentials: FakeCredentialsStore
    oauth: FakeOAuth
    oura_clients: FakeOuraClients
    sync: FakeSync
    redactor: SecretRedactor
    history: FakeHistory = field(default_factory=FakeHistory)

    def bundle(self) -> Services:
        return Services(
            settings=self.settings,
            accounts=self.accounts,  # type: ignore[arg-type]
            credentials=self.credentials,  # type: ignore[arg-type]
            oauth=self.oauth,  # type: ignore[arg-type]
            oura_client=self.oura_clients,  # type: ignore[arg-type]
            sync=self.sync,
            redactor=self.redactor,
            history=self.history,
            oura_identity=self.oura_clients.identity,
        )


def fake_services(
    data_dir: Path,
    *,
    with_credentials: bool = True,
    demo: bool = False,
    problems: tuple[str, ...] = (),
) -> FakeServices:
    settings = Settings(
        data_dir=data_dir,
        trusted_clients=("172.30.32.2", "127.0.0.1"),
        demo=demo,
        problems=problems,
    )
    redactor = SecretRedactor()
    credentials = (
        FakeCredentialsStore(CLIENT_ID, CLIENT_SECRET, source="panel", on_secret=redactor.add)
        if with_credentials
        else FakeCredentialsStore(on_secret=redactor.add)
    )
    return FakeServices(
        settings=settings,
        accounts=FakeAccountStore(on_secret=redactor.add),
        credentials=credentials,
        oauth=FakeOAuth(),
        oura_clients=FakeOuraClients(),
        sync=FakeSync(),
        redactor=redactor,
    )


def connect(
    services: FakeServices,
    name: str,
    *,
    last_error: str | None = None,
    endpoint_errors: dict[str, str] | None = None,
    with_data: bool = True,
) -> FakeAccount:
    """An account as it looks after a successful connection and sync."""
    account = services.accounts.create(name)
    services.accounts.save_tokens(
        name, TokenSet(ACCESS_TOKEN, REFRESH_TOKEN, 4_000_000_000.0), email=f"{name}@example.com"
    )
    services.sync.snapshots[name] = AccountSnapshot(
        name=name,
        entity_prefix=account.entity_prefix,
        last_sync=datetime(2025, 1, 30, 6, 50, tzinfo=UTC),
        next_sync=datetime(2025, 1, 30, 7, 0, tzinfo=UTC),
        last_error=last_error,
        endpoint_errors=endpoint_errors or {},
        states=sample_states(account.entity_prefix) if with_data else (),
        trend_days=sample_trend_days() if with_data else {},
        today=SAMPLE_TODAY,
    )
    return services.accounts.accounts[name]


class BrokenPersonalInfo(OuraApiError):
    def __init__(self) -> None:
        super().__init__("Oura refused personal_info.", "personal_info")
