"""``python -m oura_addon.simulator --port P --client-id ID --client-secret S``."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import date, time

from oura_addon.simulator.app import create_simulator
from oura_addon.simulator.config import PORTALS, SimulatorConfig
from oura_addon.simulator.server import SimulatorServer


def parse_arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m oura_addon.simulator",
        description="Serve a simulated Oura cloud (authorize page, token URLs, API v2).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--client-id", default=SimulatorConfig.client_id)
    parser.add_argument("--client-secret", default=SimulatorConfig.client_secret)
    parser.add_argument("--days", type=int, default=SimulatorConfig.days)
    parser.add_argument("--users", type=int, default=SimulatorConfig.users)
    parser.add_argument(
        "--auto-approve", action="store_true", help="skip the consent page: redirect at once"
    )
    parser.add_argument(
        "--access-token-ttl", type=int, default=SimulatorConfig.access_token_ttl, metavar="SECONDS"
    )
    parser.add_argument(
        "--portal",
        choices=(*PORTALS, "legacy"),
        default=SimulatorConfig.portal,
        help="where the simulated app was created: classic or new (developer.ouraring.com)",
    )
    parser.add_argument(
        "--user-limit",
        type=int,
        default=SimulatorConfig.user_limit,
        help="how many Oura users the app may serve (an unapproved app: 10)",
    )
    parser.add_argument("--timezone", default=SimulatorConfig.timezone)
    parser.add_argument("--seed", type=int, default=SimulatorConfig.seed)
    parser.add_argument(
        "--today", type=date.fromisoformat, metavar="YYYY-MM-DD", help="pin the simulated day"
    )
    parser.add_argument(
        "--start-time",
        type=time.fromisoformat,
        default=SimulatorConfig.start_time,
        metavar="HH:MM",
        help="the pinned day's time when the simulator starts (default 12:00)",
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=SimulatorConfig.clock_speed,
        help="simulated seconds per real second (60: an hour a minute)",
    )
    parser.add_argument(
        "--wake-times",
        default="",
        metavar="HH:MM[,HH:MM...]",
        help="each user's usual wake-up; the phone syncs the night a little later",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        config = SimulatorConfig(
            client_id=arguments.client_id,
            client_secret=arguments.client_secret,
            days=arguments.days,
            users=arguments.users,
            auto_approve=arguments.auto_approve,
            access_token_ttl=arguments.access_token_ttl,
            portal=arguments.portal,
            user_limit=arguments.user_limit,
            timezone=arguments.timezone,
            seed=arguments.seed,
            today=arguments.today,
            start_time=arguments.start_time,
            clock_speed=arguments.speed,
            wake_times=tuple(t.strip() for t in arguments.wake_times.split(",") if t.strip()),
        )
        simulator = create_simulator(config)
    except (ValueError, KeyError) as problem:
        print(f"oura simulator: {problem}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    server = SimulatorServer(simulator, host=arguments.host, port=arguments.port).start()
    try:
        print(f"Oura simulator listening on {server.url}", flush=True)
        while not stop.wait(1.0):
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
