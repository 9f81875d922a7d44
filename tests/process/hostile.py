"""Hostile clients against the real add-on process, for its tests and as a benchmark.

``python -m tests.process.hostile`` starts the add-on (every remote unreachable, trusted
client 127.0.0.1 standing in for the ingress proxy) and prints: peak RSS before and after
20 MB bodies are refused, and the panel's latency for the proxy with and without 150 idle
connections held open from 127.0.0.2. Figures only: nothing is asserted.
"""

from __future__ import annotations

import socket
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.addon_process import AddonProcess, addon_environment

NOWHERE = "http://127.0.0.1:9"
PROXY = "127.0.0.1"  # the trusted client in tests, as 172.30.32.2 is in the Supervisor
STRANGER = "127.0.0.2"  # another loopback address: not trusted
TWENTY_MB = 20 * 1024 * 1024


def hostile_addon(root: Path) -> AddonProcess:
    data_dir = root / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = addon_environment(data_dir, NOWHERE, f"{NOWHERE}/api")
    env["OURA_ADDON_TRUSTED_CLIENTS"] = PROXY
    return AddonProcess(data_dir=data_dir, log_path=root / "addon.log", env=env)


def peak_rss_mb(pid: int) -> float:
    """The process's high-water resident set size (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc status")


def connect_from(source: str, port: int, timeout: float = 5.0) -> socket.socket:
    sock = socket.socket()
    sock.settimeout(timeout)
    sock.bind((source, 0))
    sock.connect((PROXY, port))
    return sock


@contextmanager
def idle_connections(port: int, count: int, source: str = STRANGER) -> Iterator[int]:
    """``count`` connections from ``source`` that never send a byte; yields how many opened."""
    sockets = []
    try:
        for _ in range(count):
            try:
                sockets.append(connect_from(source, port))
            except OSError:
                break
        yield len(sockets)
    finally:
        for sock in sockets:
            sock.close()


def refused_on_connect(port: int, source: str = STRANGER) -> bool:
    """True when the server closes a connection from ``source`` without answering."""
    with connect_from(source, port) as sock:
        try:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            return sock.recv(1024) == b""
        except (ConnectionResetError, BrokenPipeError):
            return True


def send_body(
    port: int, path: str, size: int, content_type: str, headers: dict[str, str] | None = None
) -> str:
    """POST a ``size``-byte body (declared up front) and return the status line, or
    ``closed`` when the server hung up without one."""
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {PROXY}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {size}\r\n{extra}Connection: close\r\n\r\n"
    ).encode()
    chunk = b"a" * 65536
    with connect_from(PROXY, port, timeout=10) as sock:
        try:
            sock.sendall(head)
            sent = 0
            while sent < size:  # keep sending until the server answers or hangs up
                sock.sendall(chunk[: size - sent])
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            answer = sock.recv(4096)
        except (ConnectionResetError, TimeoutError):
            return "closed"
    return answer.split(b"\r\n", 1)[0].decode() if answer else "closed"


def refuse_big_bodies(port: int, csrf_token: str, rounds: int = 3) -> list[str]:
    """Twenty-megabyte bodies as an attacker sends them; returns the status lines."""
    answers = []
    for _ in range(rounds):
        answers.append(
            send_body(
                port, "/api/accounts", TWENTY_MB, "application/json", {"X-CSRF-Token": csrf_token}
            )
        )
        answers.append(send_body(port, "/accounts", TWENTY_MB, "application/x-www-form-urlencoded"))
    return answers


def panel_latencies_ms(base_url: str, count: int = 40) -> list[float]:
    session = requests.Session()
    session.trust_env = False
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        response = session.get(f"{base_url}/api/status", timeout=10)
        response.raise_for_status()
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def _describe(latencies: list[float]) -> str:
    ordered = sorted(latencies)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"median {statistics.median(ordered):.1f} ms, p95 {p95:.1f} ms"


def main() -> None:
    from tests.addon_process import PanelClient

    with tempfile.TemporaryDirectory() as root:
        addon = hostile_addon(Path(root)).start()
        assert addon.process is not None
        try:
            token = PanelClient(addon.url).session.headers["X-CSRF-Token"]
            panel_latencies_ms(addon.url, count=20)  # warm up: the first answers build caches
            print(f"latency, no idle connections: {_describe(panel_latencies_ms(addon.url))}")
            with idle_connections(addon.port, 150) as opened:
                print(
                    f"latency, {opened} idle connections from {STRANGER} open: "
                    f"{_describe(panel_latencies_ms(addon.url))}"
                )
            before = peak_rss_mb(addon.process.pid)
            answers = refuse_big_bodies(addon.port, str(token))
            after = peak_rss_mb(addon.process.pid)
            print(
                f"peak RSS {before:.1f} MB before, {after:.1f} MB after {len(answers)} bodies "
                f"of 20 MB were refused ({', '.join(sorted(set(answers)))})"
            )
        finally:
            addon.stop()


if __name__ == "__main__":
    main()
