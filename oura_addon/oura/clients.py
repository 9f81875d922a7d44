"""One Oura client (and so one HTTP session) per account, built on first use."""

from __future__ import annotations

import threading
from collections.abc import Callable

from oura_addon.oura.client import OuraClient
from oura_addon.oura.models import PersonalInfo
from oura_addon.oura.session import TokenSessions


class OuraClients:
    def __init__(
        self,
        api_url: str,
        sessions: TokenSessions,
        on_missing_scope: Callable[[str, str], None] | None = None,
        on_answer_date: Callable[[str | None], None] | None = None,
    ) -> None:
        self._api_url = api_url
        self._sessions = sessions
        # (account, scope): Oura said the account's token lacks that scope.
        self._on_missing_scope = on_missing_scope
        self._on_answer_date = on_answer_date
        self._lock = threading.Lock()
        self._clients: dict[str, OuraClient] = {}

    def __call__(self, account: str) -> OuraClient:
        with self._lock:
            client = self._clients.get(account)
            if client is None:
                session = self._sessions.session(account)
                report = self._on_missing_scope
                client = self._clients[account] = OuraClient(
                    self._api_url,
                    session,
                    on_missing_scope=(lambda scope: report(account, scope)) if report else None,
                    on_answer_date=self._on_answer_date,
                )
            return client

    def forget(self, account: str) -> None:
        with self._lock:
            self._clients.pop(account, None)


class _GivenToken:
    """A token provider for one access token that was just granted and is not stored yet."""

    def __init__(self, access_token: str) -> None:
        self._access_token = access_token

    def access_token(self, force_refresh: bool = False) -> str:
        return self._access_token


def personal_info_for(api_url: str, access_token: str) -> PersonalInfo:
    """Who a fresh token belongs to, asked before the token is stored anywhere."""
    client = OuraClient(api_url, _GivenToken(access_token))
    try:
        return client.personal_info()
    finally:
        client.close()
