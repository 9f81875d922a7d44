"""Fixtures for the Oura client tests: recorded responses and a scripted loopback server."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from oura_addon.http import RetryPolicy
from oura_addon.oura.oauth import OAuthClient, TokenUrlMemory


def shared_dir() -> Path:
    configured = os.environ.get("OURA_SHARED_DIR")
    return Path(configured) if configured else Path(__file__).resolve().parents[2] / ".." / "shared"


def recorded_dir() -> Path:
    directory = shared_dir() / "oura" / "recorded"
    if not directory.is_dir():
        pytest.skip(f"../shared reference material is absent: {directory}")
    return directory


def recorded(name: str) -> dict[str, Any]:
    """The single exchange recorded in ``<name>.json``: {url, method, status, headers, body}."""
    exchanges = json.loads((recorded_dir() / f"{name}.json").read_text(encoding="utf-8"))
    assert len(exchanges) == 1, f"{name} holds {len(exchanges)} exchanges"
    return exchanges[0]


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # JSON-able, or bytes sent as is
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering

    @classmethod
    def recorded(cls, name: str) -> Reply:
        exchange = recorded(name)
        return cls(exchange["status"], exchange["body"], dict(exchange["headers"]))


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    form: dict[str, str]


class ScriptedServer:
    """A loopback HTTP server answering each path from a script of replies, in order.

    The last reply of a path repeats; unknown paths get 404. Every request is logged.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scripts: dict[str, list[Reply]] = {}
        self.seen: list[Seen] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8") if length else ""
                reply = server._record(
                    Seen(
                        method=self.command,
                        path=parts.path,
                        query={k: v[0] for k, v in parse_qs(parts.query).items()},
                        headers=dict(self.headers.items()),
                        form={k: v[0] for k, v in parse_qs(raw).items()},
                    )
                )
                if reply.drop:
                    self.close_connection = True
                    return
                body = reply.body
                if not isinstance(body, bytes):
                    body = json.dumps(body).encode("utf-8")
                self.send_response(reply.status)
                headers = {"Content-Type": "application/json", **reply.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def _record(self, seen: Seen) -> Reply:
        with self._lock:
            self.seen.append(seen)
            script = self._scripts.get(seen.path)
            if not script:
                return Reply(404, {"detail": "Not Found"})
            return script.pop(0) if len(script) > 1 else script[0]

    def script(self, path: str, *replies: Reply) -> None:
        with self._lock:
            self._scripts[path] = list(replies)

    def requests_to(self, path: str) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if s.path == path]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def scripted() -> Iterator[ScriptedServer]:
    server = ScriptedServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


class RecordingSleep:
    """Stands in for time.sleep: remembers every wait it was asked for, waits none."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeps() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def policy(sleeps: RecordingSleep) -> RetryPolicy:
    """Real retry logic with no real waiting; full jitter pinned to its cap."""
    return RetryPolicy(attempts=3, sleep=sleeps, jitter=lambda cap: cap, timeout=5.0)


class FakeTokens:
    """A token provider handing out ``token-1``, then ``token-2`` after a forced refresh..."""

    def __init__(self, error: Exception | None = None) -> None:
        self.generation = 1
        self.forced = 0
        self.calls = 0
        self.error = error

    def access_token(self, force_refresh: bool = False) -> str:
        self.calls += 1
        if self.error is not None:
            raise self.error
        if force_refresh:
            self.forced += 1
            self.generation += 1
        return f"token-{self.generation}"


@pytest.fixture
def tokens() -> FakeTokens:
    return FakeTokens()


LEGACY_TOKEN_PATH = "/oauth/token"
NEW_TOKEN_PATH = "/oauth/v2/ext/oauth-token"


def oauth_client(
    base_url: str, policy: RetryPolicy, memory: TokenUrlMemory | None = None
) -> OAuthClient:
    """An OAuth client whose every Oura address is on ``base_url`` (loopback)."""
    return OAuthClient(
        authorize_url=f"{base_url}/oauth/authorize",
        token_url=f"{base_url}{LEGACY_TOKEN_PATH}",
        fallback_token_url=f"{base_url}{NEW_TOKEN_PATH}",
        revoke_url=f"{base_url}/oauth/revoke",
        policy=policy,
        token_url_memory=memory,
    )
