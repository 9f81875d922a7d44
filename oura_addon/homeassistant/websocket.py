"""One authenticated conversation with Home Assistant's websocket API.

``connect`` opens the connection, logs in with the add-on's token and yields a
``WebSocketSession`` whose ``command`` sends a numbered command and waits for its result.
Every failure is a ``WebSocketError`` (a ``HomeAssistantError``) with a sentence to log.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

import websocket

from oura_addon.homeassistant.rest import HomeAssistantError
from oura_addon.i18n import _l

DEFAULT_TIMEOUT = 10.0


class WebSocketError(HomeAssistantError):
    """The conversation failed; ``auth_refused`` when Home Assistant refused the token."""

    def __init__(self, user_message: str, *, auth_refused: bool = False) -> None:
        super().__init__(user_message, 401 if auth_refused else None)
        self.auth_refused = auth_refused


class CommandRefused(HomeAssistantError):
    """Home Assistant answered a command with ``success: false``."""


class WebSocketLike(Protocol):
    def send(self, payload: str) -> Any: ...
    def recv(self) -> str | bytes: ...
    def close(self) -> None: ...


Connector = Callable[[str, float], WebSocketLike]


def open_websocket(url: str, timeout: float) -> WebSocketLike:
    # Like the REST client: an environment proxy must never stand between us and Home Assistant.
    connection: WebSocketLike = websocket.create_connection(
        url, timeout=timeout, http_no_proxy=["*"]
    )
    return connection


_TRANSPORT_ERRORS = (OSError, websocket.WebSocketException, ValueError)


class WebSocketSession:
    """One authenticated connection: numbered commands, each waiting for its result."""

    def __init__(self, connection: WebSocketLike, timeout: float) -> None:
        self._connection = connection
        self._timeout = timeout
        self._next_id = 0

    def receive(self) -> dict[str, Any]:
        message = json.loads(self._connection.recv())
        if not isinstance(message, dict):
            raise ValueError("a websocket message that is not a JSON object")
        return message

    def authenticate(self, token: str) -> None:
        hello = self.receive()
        if hello.get("type") != "auth_required":
            raise WebSocketError(
                _l(
                    "Home Assistant's websocket API opened with %(answer)r instead of asking "
                    "for authentication.",
                    answer=hello.get("type"),
                )
            )
        self._connection.send(json.dumps({"type": "auth", "access_token": token}))
        answer = self.receive()
        if answer.get("type") == "auth_invalid":
            raise WebSocketError(
                _l(
                    "Home Assistant refused the add-on's token on its websocket API; past days "
                    "are imported once it accepts it (the add-on needs homeassistant_api access)."
                ),
                auth_refused=True,
            )
        if answer.get("type") != "auth_ok":
            raise WebSocketError(
                _l(
                    "Home Assistant answered the websocket login with %(answer)r.",
                    answer=answer.get("type"),
                )
            )

    def command(self, payload: Mapping[str, Any]) -> Any:
        self._next_id += 1
        command_id = self._next_id
        self._connection.send(json.dumps({"id": command_id, **payload}, allow_nan=False))
        # Without subscriptions only our results arrive; the deadline guards against chatter.
        deadline = time.monotonic() + self._timeout
        while time.monotonic() < deadline:
            message = self.receive()
            if message.get("id") == command_id and message.get("type") == "result":
                if message.get("success"):
                    return message.get("result")
                error = message.get("error") or {}
                raise CommandRefused(f"{error.get('code', 'error')}: {error.get('message', '')}")
        raise WebSocketError(_l("Home Assistant did not answer a websocket command in time."))


@contextmanager
def connect(
    url: str,
    token: str | None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    connector: Connector = open_websocket,
) -> Iterator[WebSocketSession]:
    """An authenticated session, closed on exit; transport failures become WebSocketError."""
    if not token:
        raise WebSocketError(
            _l("The add-on has no Home Assistant token (SUPERVISOR_TOKEN is not set).")
        )
    try:
        connection = connector(url, timeout)
    except _TRANSPORT_ERRORS as err:
        raise WebSocketError(
            _l(
                "Home Assistant's websocket API at %(url)s is not reachable (%(error)s).",
                url=url,
                error=type(err).__name__,
            )
        ) from None
    try:
        session = WebSocketSession(connection, timeout)
        session.authenticate(token)
        yield session
    except _TRANSPORT_ERRORS as err:
        raise WebSocketError(
            _l(
                "The websocket connection to Home Assistant failed (%(error)s).",
                error=type(err).__name__,
            )
        ) from None
    finally:
        connection.close()
