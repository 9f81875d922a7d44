"""One Oura client (and so one HTTP session) per account, built on first use."""

from __future__ import annotations

import threading

from .oura.client import OuraClient
from .oura.session import TokenSessions


class OuraClients:
    def __init__(self, api_url: str, sessions: TokenSessions) -> None:
        self._api_url = api_url
        self._sessions = sessions
        self._lock = threading.Lock()
        self._clients: dict[str, OuraClient] = {}

    def __call__(self, account: str) -> OuraClient:
        with self._lock:
            client = self._clients.get(account)
            if client is None:
                session = self._sessions.session(account)
                client = self._clients[account] = OuraClient(self._api_url, session)
            return client

    def forget(self, account: str) -> None:
        with self._lock:
            self._clients.pop(account, None)
