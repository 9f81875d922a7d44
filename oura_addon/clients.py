"""One Oura client (and so one HTTP session) per account, built on first use."""

from __future__ import annotations

import threading

from .accounts import AccountStore
from .app_credentials import AppCredentialsStore
from .oura.client import OuraClient
from .oura.oauth import InvalidClient, OAuthClient
from .oura.tokens import TokenSet


class OuraClients:
    def __init__(
        self,
        api_url: str,
        accounts: AccountStore,
        credentials: AppCredentialsStore,
        oauth: OAuthClient,
    ) -> None:
        self._api_url = api_url
        self._accounts = accounts
        self._credentials = credentials
        self._oauth = oauth
        self._lock = threading.Lock()
        self._clients: dict[str, OuraClient] = {}

    def _refresh(self, refresh_token: str) -> TokenSet:
        credentials = self._credentials.get()
        if credentials is None:
            raise InvalidClient("The Oura app's client id and secret are missing; enter them.")
        return self._oauth.refresh(credentials, refresh_token)

    def __call__(self, account: str) -> OuraClient:
        with self._lock:
            client = self._clients.get(account)
            if client is None:
                provider = self._accounts.token_provider(account, self._refresh)
                client = self._clients[account] = OuraClient(self._api_url, provider)
            return client

    def forget(self, account: str) -> None:
        with self._lock:
            self._clients.pop(account, None)
