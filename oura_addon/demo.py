"""``python -m oura_addon.demo``: the whole add-on on this machine, with no Oura account.

Starts the built-in Oura simulator as the add-on's Oura cloud (a few simulated users with
months of data), then the add-on itself with its panel on http://127.0.0.1:8099. Click
Connect, approve on the simulated consent page, and the dashboard fills with data. With
``--ha-url`` and ``--ha-token`` (or HA_API_URL and SUPERVISOR_TOKEN) the sensors are pushed
into that Home Assistant; otherwise the panel says that nothing is sent anywhere.

A restarted demo keeps its accounts connected: the simulator's users and their data are the
same every run, and it takes back the token pairs the accounts in the data folder hold
(``restore_grants``), so nothing needs reconnecting. Delete the data folder to start clean.
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import socket
import sys
from pathlib import Path

from oura_addon.app import DIAGNOSTICS_LOG_LINES, build_addon, serve
from oura_addon.i18n import _l
from oura_addon.logs import RecentLines, SecretRedactor, configure_logging
from oura_addon.oura.endpoints import DEFAULT_SCOPES
from oura_addon.oura.tokens import TokenSet
from oura_addon.settings import load_settings
from oura_addon.simulator import SimulatorConfig, SimulatorServer, create_simulator
from oura_addon.simulator.data import personal_info
from oura_addon.simulator.oauth import Grant
from oura_addon.simulator.state import Simulator
from oura_addon.store.files import read_json

_LOGGER = logging.getLogger(__name__)

DEMO_CLIENT_ID = "demo-client"
DEMO_CLIENT_SECRET = "demo-secret"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m oura_addon.demo", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="panel address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8099, help="panel port (default 8099)")
    parser.add_argument("--data", type=Path, default=Path("demo-data"), help="data directory")
    parser.add_argument("--simulator-port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--users", type=int, default=3, help="simulated Oura users")
    parser.add_argument("--days", type=int, default=120, help="days of simulated history")
    parser.add_argument("--poll-interval", type=int, default=5, help="minutes between syncs")
    parser.add_argument("--ha-url", default=os.environ.get("HA_API_URL"), help="HA core API URL")
    parser.add_argument("--ha-token", default=os.environ.get("SUPERVISOR_TOKEN"), help="HA token")
    return parser.parse_args(argv)


def demo_environment(args: argparse.Namespace, simulator_url: str) -> dict[str, str]:
    env = {
        "OURA_ADDON_DATA": str(args.data.resolve()),
        "OURA_ADDON_HOST": args.host,
        "OURA_ADDON_PORT": str(args.port),
        "OURA_ADDON_TRUSTED_CLIENTS": "127.0.0.1,::1",
        "OURA_API_URL": simulator_url,
        "OURA_AUTH_URL": simulator_url,
        "OURA_ADDON_DEMO": "1",
        # No Supervisor in demo mode: nothing may look for one on the network.
        "SUPERVISOR_URL": "http://127.0.0.1:9",
    }
    if args.ha_url:
        env["HA_API_URL"] = args.ha_url
        # The websocket API sits beside the REST API: .../api -> ws://.../api/websocket
        env["HA_WS_URL"] = args.ha_url.replace("http", "ws", 1).rstrip("/") + "/websocket"
    if args.ha_token:
        env["SUPERVISOR_TOKEN"] = args.ha_token
    return env


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host, port))
        except OSError as err:
            return err.errno == errno.EADDRINUSE
    return False


def restore_grants(simulator: Simulator, data_dir: Path) -> list[str]:
    """Let the fresh simulator honour the token pairs a previous demo stored for its accounts
    (matched to its users by email or Oura id); returns the accounts restored."""
    config = simulator.config
    users: dict[str, int] = {}
    for number in range(1, config.users + 1):
        info = personal_info(config.seed, number)
        users[info["email"]] = users[info["id"]] = number
    restored = []
    for path in sorted((data_dir / "accounts").glob("*.json")):
        try:
            document = read_json(path, use_backup=True)
            tokens = TokenSet.from_json(document["tokens"]) if document.get("tokens") else None
        except Exception:  # an account the add-on itself will report as unreadable
            _LOGGER.debug("Not restoring %s", path.name, exc_info=True)
            continue
        user = users.get(document.get("oura_user_id")) or users.get(document.get("email"))
        if tokens is None or user is None:
            continue
        scopes = tokens.scopes or DEFAULT_SCOPES
        grant = Grant(user, scopes, config.client_id)
        simulator.tokens.adopt(tokens.access_token, tokens.refresh_token, grant, tokens.expires_at)
        restored.append(str(document.get("name")))
    return restored


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if port_in_use(args.host, args.port):
        message = _l(
            "Port %(port)s is already in use (is the demo already running?): stop the other "
            "program or start the demo with --port.",
            port=args.port,
        )
        print(message, file=sys.stderr)
        raise SystemExit(1)
    args.data.mkdir(parents=True, exist_ok=True)
    options = {
        "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET,
        "portal": "new",
        "poll_interval": args.poll_interval,
        "history_days": min(args.days, 90),
        "log_level": "info",
        "publish_mode": "core_api",  # the demo has no MQTT broker
    }
    (args.data / "options.json").write_text(json.dumps(options, indent=2))

    simulator = create_simulator(
        SimulatorConfig(
            client_id=DEMO_CLIENT_ID,
            client_secret=DEMO_CLIENT_SECRET,
            days=args.days,
            users=args.users,
            # Every app made today comes from the new developer portal.
            portal="new",
        )
    )
    restored = restore_grants(simulator, args.data)
    with SimulatorServer(simulator, port=args.simulator_port) as oura:
        settings = load_settings(demo_environment(args, oura.url))
        redactor = SecretRedactor(settings.secrets)
        recent_logs = RecentLines(DIAGNOSTICS_LOG_LINES)
        configure_logging(settings.log_level, redactor, recent_logs)
        _LOGGER.info("Oura simulator (%d users, %d days) at %s", args.users, args.days, oura.url)
        if restored:
            _LOGGER.info("Accounts still connected from the last run: %s", ", ".join(restored))
        publish = bool(args.ha_url and args.ha_token)
        if publish:
            _LOGGER.info("Publishing sensors to Home Assistant at %s", settings.ha_api_url)
        else:
            _LOGGER.info(
                "No Home Assistant given (--ha-url/--ha-token): states would be sent to %s",
                settings.ha_api_url,
            )
        _LOGGER.info("Open http://%s:%d and click Connect", args.host, args.port)
        _LOGGER.info(
            "Make a moment happen: curl -X POST %s/_sim/moments -H 'Content-Type: "
            'application/json\' -d \'{"kind": "workout"}\' (or /_sim/night)',
            oura.url,
        )
        serve(build_addon(settings, redactor, publish=publish, recent_logs=recent_logs))


if __name__ == "__main__":
    main()
