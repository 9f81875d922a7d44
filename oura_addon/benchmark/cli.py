"""``python -m oura_addon.benchmark``: performance figures, printed, never asserted.

``python -m oura_addon.benchmark history`` imports 1 and 5 years of one account (see
``oura_addon.benchmark.history_import``).
``python -m oura_addon.benchmark freshness`` replays a simulated fortnight instead and
prints how soon each group of data reaches Home Assistant, and at how many requests, beside
fixed 10- and 5-minute polls (see ``oura_addon.benchmark.freshness``).

Everything runs on loopback: the Oura simulator in-process, a stub Home Assistant that counts
what it receives, and the real panel on waitress. Figures: what one sync costs (requests and
time, steady state and first-sync backfill), the catalogue's cost, what a publish sends when
nothing changed, and the panel's status latency with several accounts.
"""

from __future__ import annotations

import argparse
import functools
import logging
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import requests
import waitress

from oura_addon import catalogue
from oura_addon.app import build_addon
from oura_addon.benchmark import freshness, history_import, memory, mqtt
from oura_addon.benchmark.stub_home_assistant import StubHomeAssistant
from oura_addon.logs import SecretRedactor
from oura_addon.oura.client import OuraClient
from oura_addon.oura.endpoints import ENDPOINTS
from oura_addon.oura.tokens import TokenSet
from oura_addon.scheduling import Scheduler
from oura_addon.settings import Settings
from oura_addon.simulator import SimulatorConfig, SimulatorServer, create_simulator
from oura_addon.store.accounts import AccountStore
from oura_addon.web import create_app

CLIENT_ID, CLIENT_SECRET = "bench-client", "bench-secret"
TZ = ZoneInfo("Europe/Helsinki")


def _sync_all(scheduler: Scheduler, names: list[str]) -> None:
    for name in names:
        scheduler.sync_account(name)


def _get(session: requests.Session, url: str) -> None:
    session.get(url).raise_for_status()


def _timed(action: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _line(label: str, samples: list[float], extra: str = "") -> None:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    print(
        f"{label:<46} median {statistics.median(samples):8.2f} ms   p95 {p95:8.2f} ms"
        f"   n={len(samples)}{extra}"
    )


class _StaticTokens:
    def __init__(self, token: str) -> None:
        self.token = token

    def access_token(self, force_refresh: bool = False) -> str:
        return self.token


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m oura_addon.benchmark", description=__doc__)
    parser.add_argument("--repeat", type=int, default=20, help="samples per figure")
    commands = parser.add_subparsers(dest="command")
    fresh = commands.add_parser(
        "freshness", help="replay a simulated fortnight: delay to Home Assistant, requests/day"
    )
    fresh.add_argument("--days", type=int, default=14, help="simulated days (at most 30)")
    fresh.add_argument("--users", type=int, default=3, help="simulated Oura users")
    fresh.add_argument("--poll-interval", type=int, default=10, metavar="MINUTES")
    fresh.add_argument("--wake-times", default="", metavar="HH:MM[,HH:MM...]")
    fresh.add_argument("--seed", type=int, default=1)
    past = commands.add_parser(
        "history", help="import one account's whole history: requests to Oura, rows to HA"
    )
    past.add_argument("--years", type=int, nargs="+", default=[1, 5], help="history lengths")
    broker = commands.add_parser("mqtt", help="messages the MQTT publisher sends per cycle")
    broker.add_argument("--broker", metavar="HOST:PORT", help="default: start mosquitto")
    rss = commands.add_parser("memory", help="the add-on process's RSS against a bare floor")
    rss.add_argument("--syncs", type=int, default=20, help="syncs to run (figures at 5 and N)")
    rss.add_argument("--accounts", type=int, choices=range(1, 6), default=1, metavar="1-5")
    args = parser.parse_args(argv)
    if args.command == "memory":
        memory.report(args.syncs, args.accounts)
        return
    if args.command == "mqtt":
        mqtt.report(args.broker)
        return
    if args.command == "history":
        history_import.report(args.years)
        return
    if args.command == "freshness":
        if not 1 <= args.days <= 30:
            parser.error("--days must be 1 to 30")
        started = time.perf_counter()
        freshness.report(
            days=args.days,
            users=args.users,
            poll_interval_minutes=args.poll_interval,
            wake_times=[t.strip() for t in args.wake_times.split(",") if t.strip()],
            seed=args.seed,
        )
        print(f"replayed in {time.perf_counter() - started:.1f} s")
        return
    # Figures only: the stub's missing websocket would otherwise warn on every sync.
    logging.getLogger("oura_addon").setLevel(logging.ERROR)

    config = SimulatorConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, days=120, users=3)
    simulator = create_simulator(config)
    stub = StubHomeAssistant()
    with SimulatorServer(simulator) as oura, tempfile.TemporaryDirectory() as tmp:
        endpoints = [e for e in ENDPOINTS if e.name != "personal_info"]
        token = simulator.issue_tokens(1)["access_token"]
        client = OuraClient(oura.url, _StaticTokens(token))
        today = datetime.now(TZ).date()

        print(f"Oura sync ({len(endpoints)} endpoints), simulator on loopback")
        simulator.requests.clear()
        result = client.sync(endpoints, today - timedelta(days=2), today + timedelta(1))
        calls = simulator.requests.count("/v2/")
        documents = sum(len(r) for r in result.records.values())
        samples = _timed(
            lambda: client.sync(endpoints, today - timedelta(2), today + timedelta(1)),
            max(3, args.repeat // 2),
        )
        _line("  one cycle (window today-2..today+1)", samples)
        print(f"{'':<48}oura requests={calls} documents={documents}")

        records = client.sync(endpoints, today - timedelta(days=2), today + timedelta(1)).records
        now = datetime.now(TZ)
        _line(
            f"catalogue.build_states ({len(catalogue.entity_ids('oura'))} entities)",
            _timed(
                lambda: catalogue.build_states("oura", records, today=today, tz=TZ, now=now),
                args.repeat * 5,
            ),
        )

        data_dir = Path(tmp)
        settings = Settings(
            data_dir=data_dir,
            host="127.0.0.1",
            port=0,
            trusted_clients=("127.0.0.1",),
            supervisor_token="bench-token",
            supervisor_url="http://127.0.0.1:9",  # no Supervisor: nothing leaves loopback
            ha_api_url=stub.url,
            ha_ws_url="ws://127.0.0.1:9/api/websocket",  # no websocket: statistics stay queued
            oura_api_url=oura.url,
            oura_auth_url=oura.url,
            oura_token_url=f"{oura.url}/oauth/token",
            oura_fallback_token_url=f"{oura.url}/oauth/v2/ext/oauth-token",
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            history_days=30,
            publish_mode="core_api",  # the figures below are the core API's
        )
        accounts = AccountStore(data_dir)
        for user, name in enumerate(("alice", "bob", "carol"), start=1):
            accounts.create(name)
            accounts.save_tokens(
                name, TokenSet.from_token_response(simulator.issue_tokens(user)), f"{name}@x"
            )
        addon = build_addon(settings, SecretRedactor())
        scheduler = addon.scheduler
        names = ("alice", "bob", "carol")
        print("Scheduler cycle: Oura simulator -> catalogue -> stub Home Assistant")
        for label, action in (
            *((f"  first sync, {settings.history_days}-day backfill ({n})", [n]) for n in names),
            ("  next cycle, nothing changed (3 accounts)", list(names)),
        ):
            posts, calls = stub.posts, simulator.requests.count("/v2/")
            _line(label, _timed(functools.partial(_sync_all, scheduler, action), 1))
            print(
                f"{'':<48}oura requests={simulator.requests.count('/v2/') - calls}"
                f" ha posts={stub.posts - posts}"
            )

        app = create_app(settings, addon.services)
        server = waitress.create_server(app, host="127.0.0.1", port=0)
        serving = threading.Thread(target=server.run, daemon=True)
        serving.start()
        url = f"http://127.0.0.1:{server.effective_port}"
        session = requests.Session()
        session.trust_env = False
        print("Panel on waitress (3 connected accounts)")
        for label, path, repeat in (
            ("  GET /api/status", "/api/status", args.repeat * 5),
            ("  GET / (dashboard page)", "/", args.repeat),
        ):
            _line(label, _timed(functools.partial(_get, session, url + path), repeat))
    stub.close()  # the waitress thread is a daemon: it ends with the process
    print(f"finished {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC")


if __name__ == "__main__":
    main()
