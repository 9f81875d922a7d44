"""Oura's numbers and answers bounded where they are read: a Retry-After of a billion
seconds, a token living for ever, a refresh answer without an access token, a compressed
bomb, a huge page and an answer dripped one byte at a time."""

from __future__ import annotations

import contextlib
import gzip
import socket
import threading
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime

import pytest

from oura_addon.http import MAX_RETRY_AFTER, RetryPolicy, new_session
from oura_addon.oura.client import ApiUnavailable, OuraClient, RateLimited
from oura_addon.oura.endpoints import ENDPOINTS_BY_NAME
from oura_addon.oura.errors import RefreshTokenOnly
from oura_addon.oura.tokens import AppCredentials
from tests.oura.conftest import LEGACY_TOKEN_PATH, Reply, oauth_client

V2 = "/v2/usercollection"
DAY = date(2024, 11, 11)
SLEEP = ENDPOINTS_BY_NAME["daily_sleep"]
APP = AppCredentials("client", "secret", "classic")


@pytest.mark.parametrize(
    "header",
    ["1000000000", "1e300", "inf", format_datetime(datetime(2058, 1, 1, tzinfo=UTC), usegmt=True)],
)
def test_a_retry_after_of_years_waits_at_most_an_hour(scripted, tokens, policy, header) -> None:
    scripted.script(f"{V2}/daily_sleep", Reply(429, {}, {"Retry-After": header}))
    result = OuraClient(scripted.url, tokens, policy=policy).sync([SLEEP], DAY, DAY)
    error = result.errors["daily_sleep"]
    assert isinstance(error, RateLimited)
    assert error.retry_after == MAX_RETRY_AFTER
    assert "3600" in error.user_message


def test_a_retry_after_as_an_http_date_is_honoured(scripted, tokens, policy) -> None:
    soon = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    scripted.script(f"{V2}/daily_sleep", Reply(429, {}, {"Retry-After": soon}))
    error = OuraClient(scripted.url, tokens, policy=policy).sync([SLEEP], DAY, DAY).errors
    assert 100 <= error["daily_sleep"].retry_after <= 121


@pytest.mark.parametrize(
    ("expires_in", "lifetime"),
    [(10**12, 30 * 86400), (1e308, 30 * 86400), (5, 60), (0, 0), (-100, 0), ("soon", 86400)],
)
def test_a_token_lifetime_from_oura_is_bounded(scripted, policy, expires_in, lifetime) -> None:
    body = {"access_token": "a", "refresh_token": "r", "expires_in": expires_in}
    scripted.script(LEGACY_TOKEN_PATH, Reply(200, body))
    before = time.time()
    tokens = oauth_client(scripted.url, policy).refresh(APP, "old")
    assert tokens.expires_at - before == pytest.approx(lifetime, abs=5)
    # The panel can always show it (datetime could not show year 30000).
    assert datetime.fromtimestamp(tokens.expires_at, UTC).year < 2200


def test_a_refresh_answer_without_an_access_token_hands_back_the_new_refresh_token(
    scripted, policy
) -> None:
    scripted.script(LEGACY_TOKEN_PATH, Reply(200, {"refresh_token": "new-refresh"}))
    with pytest.raises(RefreshTokenOnly) as raised:
        oauth_client(scripted.url, policy).refresh(APP, "old")
    assert raised.value.tokens.refresh_token == "new-refresh"
    assert raised.value.tokens.expires_within(0)
    assert "refresh token is stored" in raised.value.user_message


class RawServer:
    """Loopback server that writes one scripted raw answer per connection."""

    def __init__(self, answer) -> None:
        self.answer = answer
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        self._sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            with contextlib.suppress(OSError):
                self.answer(conn, self._stop)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()


@pytest.fixture
def raw_server() -> Iterator[list[RawServer]]:
    servers: list[RawServer] = []
    yield servers
    for server in servers:
        server.close()


def _head(length: int, extra: str = "") -> bytes:
    return (
        f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n"
        f"{extra}Connection: close\r\n\r\n"
    ).encode()


def test_a_compressed_bomb_is_refused_without_inflating_it(raw_server, tokens) -> None:
    bomb = gzip.compress(b'{"data": [' + b" " * (200 * 1024 * 1024) + b"]}", compresslevel=9)
    assert len(bomb) < 300 * 1024

    def answer(conn: socket.socket, _stop: threading.Event) -> None:
        conn.sendall(_head(len(bomb), "Content-Encoding: gzip\r\n") + bomb)

    raw_server.append(server := RawServer(answer))
    policy = RetryPolicy(attempts=1, max_answer_bytes=8 * 1024 * 1024)
    tracemalloc.start()
    try:
        result = OuraClient(server.url, tokens, policy=policy).sync([SLEEP], DAY, DAY)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    error = result.errors["daily_sleep"]
    assert isinstance(error, ApiUnavailable)
    assert "too large" in error.user_message
    assert peak < 40 * 1024 * 1024


def test_a_page_larger_than_the_bound_is_refused(raw_server, tokens) -> None:
    body = b'{"data": [' + b" " * (3 * 1024 * 1024) + b"]}"

    def answer(conn: socket.socket, _stop: threading.Event) -> None:
        conn.sendall(_head(len(body)) + body)

    raw_server.append(server := RawServer(answer))
    policy = RetryPolicy(attempts=1, max_answer_bytes=1024 * 1024)
    error = OuraClient(server.url, tokens, policy=policy).sync([SLEEP], DAY, DAY).errors
    assert "too large" in error["daily_sleep"].user_message


def test_a_compressed_answer_within_the_bound_is_read(raw_server) -> None:
    body = gzip.compress(b'{"data": [], "next_token": null}')

    def answer(conn: socket.socket, _stop: threading.Event) -> None:
        conn.sendall(_head(len(body), "Content-Encoding: gzip\r\n") + body)

    raw_server.append(server := RawServer(answer))
    response = RetryPolicy(attempts=1).send(new_session(), "GET", server.url)
    assert response.json() == {"data": [], "next_token": None}


def test_an_answer_dripped_byte_by_byte_ends_at_the_deadline(raw_server, tokens) -> None:
    body = b'{"data": [], "next_token": null}' + b" " * 1000

    def answer(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(_head(len(body)))
        for byte in body:
            if stop.is_set():
                return
            conn.sendall(bytes([byte]))
            time.sleep(0.1)

    raw_server.append(server := RawServer(answer))
    policy = RetryPolicy(attempts=2, deadline=1.5, timeout=(2.0, 2.0), sleep=lambda s: None)
    started = time.monotonic()
    error = OuraClient(server.url, tokens, policy=policy).sync([SLEEP], DAY, DAY).errors
    assert time.monotonic() - started < 5
    assert "in time" in error["daily_sleep"].user_message


@pytest.mark.parametrize("compressed", [False, True])
def test_a_chunked_answer_is_read_whole(raw_server, compressed: bool) -> None:
    document = b'{"data": [1, 2, 3], "padding": "' + b"x" * 50_000 + b'"}'
    payload = gzip.compress(document) if compressed else document

    def answer(conn: socket.socket, _stop: threading.Event) -> None:
        encoding = "Content-Encoding: gzip\r\n" if compressed else ""
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + f"Transfer-Encoding: chunked\r\n{encoding}Connection: close\r\n\r\n".encode()
        )
        for start in range(0, len(payload), 1000):
            part = payload[start : start + 1000]
            conn.sendall(b"%x\r\n" % len(part) + part + b"\r\n")
        conn.sendall(b"0\r\n\r\n")

    raw_server.append(server := RawServer(answer))
    response = RetryPolicy(attempts=1).send(new_session(), "GET", server.url)
    assert response.content == document
