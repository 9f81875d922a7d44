"""What the panel needs from the rest of the add-on, as small interfaces.

The web layer gets a ``Services`` bundle passed to ``create_app``; tests build it with fakes
or real parts at will, and nothing in ``oura_addon.web`` reaches for a global.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from oura_addon.states import EntityState

if TYPE_CHECKING:
    from oura_addon.logs import RecentLines, SecretRedactor
    from oura_addon.oura.client import OuraClient
    from oura_addon.oura.oauth import OAuthClient
    from oura_addon.settings import Settings
    from oura_addon.store.accounts import AccountStore
    from oura_addon.store.credentials import AppCredentialsStore


class HomeAssistantState(StrEnum):
    CONNECTED = "connected"
    WAITING = "waiting"  # nothing sent yet
    UNREACHABLE = "unreachable"
    NOT_CONFIGURED = "not_configured"  # no token: demo mode, or no homeassistant_api


@dataclass(frozen=True)
class FetchPlan:
    """When one group of an account's data is next fetched, and why (see ``schedule``)."""

    group: str  # night, daytime, slow
    label: str
    next_fetch: datetime
    reason: str  # a code: waiting_for_night, night_arrived, awake, asleep, slow, ...
    message: str  # the same in words, with the time


@dataclass(frozen=True)
class AccountSnapshot:
    """Everything the panel shows about one account's syncing, without any secret."""

    name: str
    entity_prefix: str
    last_sync: datetime | None = None
    next_sync: datetime | None = None
    syncing: bool = False
    last_error: str | None = None  # plain words with the action to take
    endpoint_errors: Mapping[str, str] = field(default_factory=dict)
    states: tuple[EntityState, ...] = ()  # what is (to be) published in Home Assistant
    schedule: tuple[FetchPlan, ...] = ()  # per data group, in schedule.Group order
    # The stored trend values (catalogue.TRENDS sensor key -> ISO day -> value) and the
    # account's local day: the panel draws the last 30 days up to it.
    trend_days: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    today: date | None = None


@dataclass(frozen=True)
class AddonSnapshot:
    home_assistant: HomeAssistantState
    home_assistant_url: str
    last_publish: datetime | None = None
    error: str | None = None  # why it is unreachable, as the publisher said it


@dataclass(frozen=True)
class PublishState:
    """How the sensors reach Home Assistant, as the panel shows it (never the password)."""

    mode: str  # "mqtt" or "core_api"
    configured: str  # the publish_mode option: auto, mqtt or core_api
    broker: str | None = None  # host:port
    connected: bool = False  # to the broker (MQTT mode)
    devices: int = 0  # devices announced over MQTT
    message: str | None = None  # one sentence (a Text): why this mode, or what is wrong

    def to_json(self) -> dict[str, object]:
        return {
            "mode": self.mode,
            "configured": self.configured,
            "broker": self.broker,
            "connected": self.connected,
            "devices": self.devices,
            "message": self.message,
        }


class SyncControl(Protocol):
    """The scheduler, as the panel sees it."""

    def sync_now(self, account: str | None = None) -> None:
        """Run a cycle at once (for one account or all), without waiting for it."""

    def account_snapshot(self, account: str) -> AccountSnapshot: ...

    def addon_snapshot(self) -> AddonSnapshot: ...

    def account_connected(self, account: str) -> None:
        """Tokens were just stored: dismiss the reconnect notification, sync at once."""

    def account_removed(self, account: str, entity_prefix: str) -> None:
        """Delete the account's entities from Home Assistant and forget its data."""


class HistoryControl(Protocol):
    """The history import (``oura_addon.history_import``), as the panel sees it."""

    def status(self, account: str) -> dict[str, Any]:
        """The account's ``history`` object of ``/api/status``."""

    def start(self, account: str, start: date | None = None) -> object:
        """Start importing; raises ``HistoryBusy`` while running, ValueError for a bad start."""

    def cancel(self, account: str) -> object: ...

    def first_connection(self, account: str, days: int) -> None: ...

    def forget(self, account: str) -> None: ...


class InsightsControl(Protocol):
    """The sleep insights (``oura_addon.insights``), as the panel sees it."""

    def entities(self, *, fresh: bool = False) -> Sequence[Any]:
        """What can be chosen (each with ``to_json``); raises ``AddonError`` when unknown."""

    def chosen(self) -> list[str]: ...

    def choose(self, entity_ids: list[str]) -> list[str]:
        """Keep the choice; ``InvalidInput`` for an entity without statistics."""

    def results(self, account: str) -> list[dict[str, Any]]:
        """The account's relations, strongest first; ``sentence`` is a ``Text``."""


class WebhookControl(Protocol):
    """Oura's webhook subscriptions as the panel sees them."""

    def status(self) -> dict[str, Any]: ...

    def test(self) -> None:
        """Ask Oura to verify the callback address again."""


class OuraClientFactory(Protocol):
    def __call__(self, account: str) -> OuraClient: ...


@dataclass
class Services:
    settings: Settings
    accounts: AccountStore
    credentials: AppCredentialsStore
    oauth: OAuthClient
    oura_client: OuraClientFactory
    sync: SyncControl
    redactor: SecretRedactor
    # For the diagnostics file: the last log lines, and Home Assistant's /api/config.
    recent_logs: RecentLines | None = None
    home_assistant_config: Callable[[], Mapping[str, Any]] | None = None
    history: HistoryControl | None = None
    publishing: Callable[[], PublishState] | None = None
    insights: InsightsControl | None = None
    webhooks: WebhookControl | None = None
    # Who a freshly granted access token belongs to (Oura's personal info: ``id``,
    # ``email``), asked before the token is stored; None: learned after storing it.
    oura_identity: Callable[[str], Any] | None = None
    # The panel's sentence while this machine's clock is far from Oura's, else None.
    clock: Callable[[], str | None] | None = None
