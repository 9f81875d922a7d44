"""``python -m oura_addon.benchmark memory``: the add-on process's resident memory.

The floor is a bare Python that has imported only flask, requests and waitress (what any
panel on waitress costs), run plainly and, for comparison, with the add-on's interpreter
flags. The add-on is the real ``python -OO -m oura_addon`` as the image's run script starts
it, with connected accounts against the simulator and a stub Home Assistant, both on
loopback; its RSS is read at start, after the panel's page, after 5 syncs and after N syncs
(every account, through the panel's ``POST /api/sync``). Figures only: nothing is asserted.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from oura_addon.benchmark.stub_home_assistant import StubHomeAssistant
from oura_addon.oura.tokens import TokenSet
from oura_addon.simulator import SimulatorConfig, SimulatorServer, create_simulator
from oura_addon.store.accounts import AccountStore

CLIENT_ID, CLIENT_SECRET = "bench-client", "bench-secret"
NAMES = ("alice", "bob", "carol", "dave", "erin")
FLOOR_PROGRAM = "import flask, requests, waitress\nprint(open('/proc/self/status').read())"
# How rootfs/etc/s6-overlay/s6-rc.d/oura/run starts the add-on (a packaging test holds them
# together); the process tests start it the same way.
RUN_FLAGS = ("-OO",)
# A sync shows as done before its thread has collected and trimmed (the after-sync hook) and
# ended: figures are read once the process is at rest.
SETTLE_SECONDS = 1.0


def rss_kib(status_text: str) -> int:
    """VmRSS of a /proc/<pid>/status text, in KiB."""
    match = re.search(r"^VmRSS:\s+(\d+)\s+kB", status_text, re.M)
    if match is None:
        raise ValueError("no VmRSS line")
    return int(match.group(1))


def _process_rss(pid: int) -> int:
    return rss_kib(Path(f"/proc/{pid}/status").read_text())


def _floor(*flags: str) -> int:
    out = subprocess.run(
        [sys.executable, *flags, "-c", FLOOR_PROGRAM], capture_output=True, text=True, check=True
    )
    return rss_kib(out.stdout)


def _compile_at_run_level() -> None:
    """Compiled files at the run flags' level, as the image holds them (a first run writes
    them where it may), so neither figure counts compiling."""
    for program in (FLOOR_PROGRAM, "import oura_addon.app"):
        subprocess.run([sys.executable, *RUN_FLAGS, "-c", program], capture_output=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise SystemExit(f"benchmark memory: {what} did not happen within {timeout:.0f} s")


def _last_syncs(session: requests.Session, url: str) -> dict[str, str | None]:
    status = session.get(f"{url}/api/status", timeout=10).json()
    return {a["name"]: a.get("last_sync") for a in status["accounts"]}


def report(syncs: int = 20, accounts: int = 1) -> None:
    names = NAMES[:accounts]
    _compile_at_run_level()
    floor = _floor()
    floor_flagged = _floor(*RUN_FLAGS)
    config = SimulatorConfig(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, days=120, users=len(NAMES)
    )
    simulator = create_simulator(config)
    stub = StubHomeAssistant()
    with SimulatorServer(simulator) as oura, tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        (data_dir / "options.json").write_text(
            json.dumps(
                {
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                    "portal": "classic",
                    "publish_mode": "core_api",
                    "poll_interval": 1440,
                    "history_days": 30,
                    "reconcile_days": 7,
                }
            )
        )
        store = AccountStore(data_dir)
        for user, name in enumerate(names, start=1):
            store.create(name)
            tokens = TokenSet.from_token_response(simulator.issue_tokens(user))
            store.save_tokens(name, tokens, f"{name}@example.com")
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OURA_", "HA_"))}
        env.update(
            OURA_ADDON_DATA=str(data_dir),
            OURA_ADDON_HOST="127.0.0.1",
            OURA_ADDON_PORT=str(port),
            OURA_ADDON_TRUSTED_CLIENTS="127.0.0.1",
            OURA_API_URL=oura.url,
            OURA_AUTH_URL=oura.url,
            HA_API_URL=stub.url,
            HA_WS_URL="ws://127.0.0.1:9/api/websocket",
            SUPERVISOR_URL="http://127.0.0.1:9",
            SUPERVISOR_TOKEN="bench-token",
            TZ=config.timezone,
        )
        url = f"http://127.0.0.1:{port}"
        with (Path(tmp) / "addon.log").open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, *RUN_FLAGS, "-m", "oura_addon"], env=env, stdout=log, stderr=log
            )
        try:
            session = requests.Session()
            session.trust_env = False
            _wait(lambda: session.get(f"{url}/healthz", timeout=2).ok, 30, "the panel answering")
            _wait(lambda: all(_last_syncs(session, url).values()), 120, "the first syncs")
            time.sleep(SETTLE_SECONDS)
            figures = [("at start (first sync done)", _process_rss(process.pid))]
            page = session.get(f"{url}/", timeout=10).text
            csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
            assert csrf is not None, "the panel page carries no CSRF token"
            session.headers["X-CSRF-Token"] = csrf.group(1)
            figures.append(("after the panel's page", _process_rss(process.pid)))
            for done in range(1, syncs + 1):
                before = _last_syncs(session, url)
                session.post(f"{url}/api/sync", json={}, timeout=10).raise_for_status()
                _wait(
                    lambda before=before: all(
                        last != before[name] for name, last in _last_syncs(session, url).items()
                    ),
                    120,
                    f"sync {done}",
                )
                if done in (5, syncs):
                    time.sleep(SETTLE_SECONDS)
                    figures.append((f"after {done} syncs", _process_rss(process.pid)))
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=15)
    stub.close()
    print(f"memory ({len(names)} account(s), core API, simulator and stub on loopback)")
    flags = " ".join(RUN_FLAGS)
    print(f"  floor (python + flask, requests, waitress){floor / 1024:>22.1f} MiB")
    print(f"  the same floor with {flags:<30}{floor_flagged / 1024:>16.1f} MiB")
    print(f"  add-on (python {flags} -m oura_addon), x floor, x the floor with {flags}:")
    for label, kib in figures:
        print(
            f"  add-on {label:<38}{kib / 1024:>12.1f} MiB  {kib / floor:.2f}x"
            f"  {kib / floor_flagged:.2f}x"
        )
