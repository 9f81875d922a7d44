"""A small stand-in for Home Assistant's websocket API on loopback: the auth handshake,
``recorder/import_statistics`` and, given a recorder (tests/history/recorder.py), the
``recorder/statistics_during_period`` the history import reads its sums' anchors with.

The loopback importer tests use it bare; the browser and process tests give the real add-on
process one to import into, where no Home Assistant core runs.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import socket
import struct
import threading
from typing import Any

TOKEN = "ha-token-that-must-stay-secret"
HA_VERSION = "2025.4.4"
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def _read_exact(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError("client went away")
        data += chunk
    return data


def _read_frame(conn: socket.socket) -> tuple[int, bytes]:
    first, second = _read_exact(conn, 2)
    length = second & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", _read_exact(conn, 2))
    elif length == 127:
        (length,) = struct.unpack("!Q", _read_exact(conn, 8))
    mask = _read_exact(conn, 4) if second & 0x80 else b"\0\0\0\0"
    payload = _read_exact(conn, length)
    return first & 0x0F, bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def _send_frame(conn: socket.socket, opcode: int, payload: bytes) -> None:
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x80 | opcode, length)
    elif length < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 126, length)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, length)
    conn.sendall(header + payload)


class HomeAssistantWebsocketStandIn:
    """Speaks the parts of Home Assistant's websocket API the importers use: the auth
    handshake and ``recorder/import_statistics`` (accepted unless the id is in ``refuse``);
    with a ``recorder`` (``FakeRecorder``) imports are also kept as the recorder keeps them
    and ``recorder/statistics_during_period`` reads them. Each connection has its thread, as
    the add-on's regular import and its history import may each hold one."""

    def __init__(
        self, port: int = 0, *, token: str = TOKEN, silent: bool = False, recorder: Any = None
    ) -> None:
        self.token = token
        self.silent = silent  # accept the connection, then never say anything
        self.recorder = recorder
        self.refuse: set[str] = set()
        self.connections = 0
        self.imports: list[dict] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", port))
        self.port = self._listener.getsockname()[1]
        self.url = f"ws://127.0.0.1:{self.port}/api/websocket"
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._stopping = threading.Event()

    def start(self) -> HomeAssistantWebsocketStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        # A closed socket does not wake a blocked accept(); a last connection does.
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 1):
            pass
        self._thread.join(5)
        self._listener.close()

    def __enter__(self) -> HomeAssistantWebsocketStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def imported(self, statistic_id: str) -> list[dict]:
        with self._lock:
            return [i for i in self.imports if i["metadata"]["statistic_id"] == statistic_id]

    def all_imports(self) -> list[dict]:
        with self._lock:
            return list(self.imports)

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            if self._stopping.is_set():
                conn.close()
                return
            self.connections += 1
            threading.Thread(target=self._connection, args=(conn,), daemon=True).start()

    def _connection(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            with contextlib.suppress(OSError, ValueError):  # a client that went away
                self._serve(conn)

    def _serve(self, conn: socket.socket) -> None:
        request = b""
        while b"\r\n\r\n" not in request:
            request += conn.recv(4096) or b"\r\n\r\n"
        key = next(
            (
                line.split(":", 1)[1].strip()
                for line in request.decode("latin-1").split("\r\n")
                if line.lower().startswith("sec-websocket-key:")
            ),
            None,
        )
        if key is None:  # a plain HTTP request: this stand-in has no REST API
            conn.sendall(
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
            return
        digest = hashlib.sha1((key + WS_GUID).encode(), usedforsecurity=False).digest()
        accept = base64.b64encode(digest).decode()
        conn.sendall(
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
            ).encode()
        )
        if self.silent:
            self._stopping.wait(10)
            return
        self._send(conn, {"type": "auth_required", "ha_version": HA_VERSION})
        auth = self._receive(conn)
        if auth is None or auth.get("access_token") != self.token:
            self._send(conn, {"type": "auth_invalid", "message": "Invalid access token"})
            return
        self._send(conn, {"type": "auth_ok", "ha_version": HA_VERSION})
        while (message := self._receive(conn)) is not None:
            self._send(conn, self._answer(message))

    def _answer(self, message: dict) -> dict:
        kind = message.get("type")
        if kind == "recorder/import_statistics":
            if message["metadata"]["statistic_id"] in self.refuse:
                return _result(message["id"], False, "home_assistant_error")
            with self._lock:
                self.imports.append(message)
            if self.recorder is not None:
                self.recorder.command(message)
            return _result(message["id"], True)
        if kind == "recorder/list_statistic_ids" and self.recorder is not None:
            return _result(message["id"], True, found=self.recorder.command(message))
        if kind == "recorder/statistics_during_period" and self.recorder is not None:
            return _result(message["id"], True, found=self.recorder.command(message))
        return _result(message["id"], False, "unknown_command")

    def _send(self, conn: socket.socket, message: dict) -> None:
        _send_frame(conn, 0x1, json.dumps(message).encode())

    def _receive(self, conn: socket.socket) -> dict | None:
        opcode, payload = _read_frame(conn)
        if opcode == 0x8:  # close
            _send_frame(conn, 0x8, payload[:2])
            return None
        return json.loads(payload)


def _result(command_id: int, success: bool, code: str = "", found: Any = None) -> dict:
    message = {"id": command_id, "type": "result", "success": success, "result": found}
    if not success:
        message["error"] = {"code": code, "message": "Invalid statistic"}
    return message
