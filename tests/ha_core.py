"""Real Home Assistant cores on loopback, for integration tests.

``CoreInstall.locate(version)`` readies a cached venv with ``scripts/ha-venv``: on this
machine for the oldest supported release, in a Debian root (``scripts/ha-root``, entered with
chroot) for the releases that need a newer Python. ``HomeAssistantCore`` writes a minimal
configuration into a directory, runs ``hass`` from that install as a subprocess, onboards it
once per configuration directory and keeps a long-lived access token that survives restarts.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import websocket

REPO_ROOT = Path(__file__).resolve().parents[1]
HA_VENV_SCRIPT = REPO_ROOT / "scripts" / "ha-venv"
HA_ROOT_SCRIPT = REPO_ROOT / "scripts" / "ha-root"

# The releases the `ha` layer proves: the oldest supported (config.yaml's `homeassistant`
# key) and the newest. OURA_HA_CORES (comma separated) picks some of them for a quick run.
OLDEST_CORE = "2025.4.4"
NEWEST_CORE = "2026.11.0"
SUPPORTED_CORES = (OLDEST_CORE, NEWEST_CORE)
CORES_VARIABLE = "OURA_HA_CORES"

OWNER_USERNAME = "owner"
OWNER_PASSWORD = "correct-horse-battery-staple"
TOKEN_FILE = ".oura-test-token"  # in the config dir, so a restarted core keeps its token
START_TIMEOUT = 120.0
STOP_TIMEOUT = 30.0
CONFIG_INSIDE_ROOT = "/conf"  # where a core in a Debian root sees its configuration directory

# The one list of what a minimal test core logs by itself at every start, whoever calls it
# (seen in both cores' logs); the log test ignores these records and nothing else.
KNOWN_NOISE: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern)
    for pattern in (
        # `hass --skip-pip`: the venv holds only the requirements of the integrations we load.
        r"\[homeassistant\.bootstrap\] Skipping pip installation of required modules",
        # aiohttp's optional zlib accelerators are not among those requirements.
        r"\[aiohttp_fast_zlib\] zlib_ng and isal are not available",
        # Debian's libturbojpeg and ffmpeg are not installed (camera and ffmpeg look at start).
        r"\[homeassistant\.components\.camera\.img_util\] Error loading libturbojpeg",
        r"\[haffmpeg\.core\] FFmpeg fails \[Errno 2\] No such file or directory: 'ffmpeg'",
        r"\[haffmpeg\.tools\] Error starting FFmpeg\.",
    )
)

# "2025-05-01 12:00:00.123 WARNING (...", and from 2025.x on with the offset: "...123+00:00 ".
_LOG_RECORD = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:?\d\d|Z)? (?P<level>[A-Z]+) "
)


def selected_cores() -> tuple[str, ...]:
    """The cores to test: every supported one, or those OURA_HA_CORES names."""
    wanted = [v.strip() for v in os.environ.get(CORES_VARIABLE, "").split(",") if v.strip()]
    return tuple(wanted) or SUPPORTED_CORES


# Marker sets a test of the integration layer can carry ("ha" is added by its fixtures).
_HA_MARKER_SETS = ({"ha"}, {"ha", "mqtt"}, {"ha", "slow"}, {"ha", "mqtt", "slow"})
INTEGRATION_DIR = "tests/integration"


def cores_needed(pytest_args: list[str], root: Path | None = None) -> tuple[str, ...]:
    """The cores ``scripts/test`` must build before running pytest with these arguments:
    none when a ``-m`` expression leaves every ``ha`` test out, or when the paths given
    hold none of them; else ``selected_cores()``."""
    from _pytest.mark.expression import Expression  # pytest's own -m grammar

    root = root or Path.cwd()
    expressions: list[str] = []
    paths: list[str] = []
    args = iter(pytest_args)
    for arg in args:
        if arg == "-m":
            expressions.append(next(args, ""))
        elif arg.startswith("-m") and not arg.startswith("--"):
            expressions.append(arg[2:].lstrip("="))
        elif not arg.startswith("-") and (root / arg.split("::")[0]).exists():
            paths.append(arg.split("::")[0])
    for expression in expressions:
        compiled = Expression.compile(expression)
        if not any(compiled.evaluate(lambda name, m=m: name in m) for m in _HA_MARKER_SETS):
            return ()
    if paths:
        integration = (root / INTEGRATION_DIR).resolve()
        holds = [(root / path).resolve() for path in paths]
        if not any(
            p == integration or integration in p.parents or p in integration.parents for p in holds
        ):
            return ()
    return selected_cores()


class HomeAssistantCoreError(RuntimeError):
    """The core did not start, onboard or stop as expected."""


@dataclass(frozen=True)
class CoreInstall:
    """One ready Home Assistant venv, as ``scripts/ha-venv`` left it (see its marker file)."""

    version: str
    venv: Path  # on this machine
    root: Path | None = None  # the Debian root it runs in, chrooted; None: on this machine
    venv_inside: str = ""  # the venv's path inside ``root``

    @classmethod
    def locate(cls, version: str, timeout: float = 1800.0) -> CoreInstall:
        """Run ``scripts/ha-venv VERSION`` (it installs on first use) and read its marker."""
        result = subprocess.run(
            [str(HA_VENV_SCRIPT), version],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            tail = "\n".join(result.stderr.strip().splitlines()[-15:])
            raise HomeAssistantCoreError(
                f"scripts/ha-venv {version} failed ({result.returncode}):\n{tail}"
            )
        venv = Path(result.stdout.strip().splitlines()[-1])
        marker = (venv / ".oura-addon-ready").read_text(encoding="utf-8").splitlines()
        fields = dict(line.split("=", 1) for line in marker if "=" in line and "==" not in line)
        root = fields.get("root")
        return cls(version, venv, Path(root) if root else None, fields.get("venv", ""))

    def _in_install(self, program: str, *args: str, binds: tuple[str, ...] = ()) -> list[str]:
        if self.root is None:
            return [str(self.venv / "bin" / program), *args]
        command = [str(HA_ROOT_SCRIPT), "run", str(self.root)]
        for bind in binds:
            command += ["--bind", bind]
        return [*command, f"{self.venv_inside}/bin/{program}", *args]

    def hass_command(self, config_dir: Path) -> list[str]:
        """``hass`` on ``config_dir``; a chrooted core keeps the pid: signals reach hass."""
        if self.root is None:
            return self._in_install("hass", "-c", str(config_dir), "--skip-pip")
        return self._in_install(
            "hass",
            "-c",
            CONFIG_INSIDE_ROOT,
            "--skip-pip",
            binds=(f"{config_dir}:{CONFIG_INSIDE_ROOT}",),
        )

    def seen_from_core(self, config_dir: Path) -> Path:
        """Where the core sees ``config_dir``."""
        return config_dir if self.root is None else Path(CONFIG_INSIDE_ROOT)

    def check_config(self, config_dir: Path) -> str:
        """Home Assistant's own configuration check of ``config_dir`` (what ``hass --script
        check_config`` runs, called directly: the script would pip-install colorlog into the
        cached venv). What it found: its log records (WARNING and up) and its ``EXCEPT`` and
        ``WARN`` findings as JSON (``{}`` when clean)."""
        inside = self.seen_from_core(config_dir)
        code = (
            "import json, logging, sys\n"
            "logging.basicConfig(level=logging.WARNING, stream=sys.stdout,"
            " format='%(levelname)s [%(name)s] %(message)s')\n"
            "from homeassistant.scripts.check_config import check\n"
            f"found = check({str(inside)!r})\n"
            "print('EXCEPT', json.dumps(found['except'], default=str))\n"
            "print('WARN', json.dumps(found['warn'], default=str))\n"
        )
        binds = () if self.root is None else (f"{config_dir}:{CONFIG_INSIDE_ROOT}",)
        result = subprocess.run(
            self._in_install("python", "-c", code, binds=binds),
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        return f"exit {result.returncode}\n{result.stdout}{result.stderr}"

    def python(self, code: str) -> str:
        """Run ``code`` with the core's own Python; what it printed."""
        result = subprocess.run(
            self._in_install("python", "-c", code),
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        return result.stdout


def log_problems(text: str) -> list[str]:
    """The WARNING, ERROR and CRITICAL records of a Home Assistant log (each with its
    continuation lines, e.g. a traceback) that are not KNOWN_NOISE.

    A log in which no line looks like a record is a format we do not know: that raises, so a
    new format can never make the check pass by finding nothing.
    """
    records: list[str] = []
    for line in text.splitlines():
        if _LOG_RECORD.match(line) or not records:
            records.append(line)
        else:
            records[-1] += "\n" + line
    if text.strip() and not any(_LOG_RECORD.match(record) for record in records):
        raise ValueError(f"no Home Assistant log record found in: {text[:200]!r}")
    return [
        record
        for record in records
        if (match := _LOG_RECORD.match(record))
        and match.group("level") in ("WARNING", "ERROR", "CRITICAL")
        and not any(noise.search(record) for noise in KNOWN_NOISE)
    ]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def minimal_configuration(port: int, time_zone: str, name: str, db_path: Path) -> str:
    # Every location field is given so the core never tries to detect one over the network.
    return f"""\
homeassistant:
  name: {json.dumps(name)}
  time_zone: {json.dumps(time_zone)}
  unit_system: metric
  latitude: 60.17
  longitude: 24.94
  elevation: 10
  country: FI
  currency: EUR
  language: en
http:
  server_host: 127.0.0.1
  server_port: {port}
api:
websocket_api:
auth:
onboarding:
persistent_notification:
recorder:
  db_url: sqlite:///{db_path}
  commit_interval: 1
history:
"""


class HomeAssistantCore:
    """One Home Assistant core process bound to 127.0.0.1, reusable across restarts."""

    def __init__(
        self,
        install: CoreInstall,
        config_dir: Path,
        *,
        time_zone: str = "Europe/Helsinki",
        name: str = "Oura test home",
        port: int | None = None,
        extra_configuration: str = "",
    ) -> None:
        self.install = install
        self.version = install.version
        self.config_dir = Path(config_dir)
        self.time_zone = time_zone
        self.name = name
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api_url = self.url + "/api"
        self.ws_url = f"ws://127.0.0.1:{self.port}/api/websocket"
        self.log_path = self.config_dir / "hass.log"
        # Appended to the minimal configuration (automations, helpers... of a test).
        self.extra_configuration = extra_configuration
        self.token: str = ""
        self.last_start_seconds: float | None = None
        self.last_stop_seconds: float | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._session = requests.Session()
        self._session.trust_env = False  # never route loopback through a proxy

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> HomeAssistantCore:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
        self._session.close()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> None:
        """Start the core (onboarding it on first use) and wait until it runs."""
        if self.running:
            return
        self.config_dir.mkdir(parents=True, exist_ok=True)
        # Rewritten each time: a new harness on an old directory listens on its own port.
        database = self.install.seen_from_core(self.config_dir) / "home-assistant_v2.db"
        (self.config_dir / "configuration.yaml").write_text(
            minimal_configuration(self.port, self.time_zone, self.name, database)
            + self.extra_configuration,
            encoding="utf-8",
        )
        started = time.monotonic()
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                self.install.hass_command(self.config_dir),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self._environment(),
                start_new_session=True,  # a Ctrl-C in pytest must not reach hass first
            )
        try:
            self._wait_for_http(started)
            token_path = self.config_dir / TOKEN_FILE
            first_start = not token_path.exists()
            if first_start:
                self.token = self._onboard()
                token_path.write_text(self.token, encoding="utf-8")
                token_path.chmod(0o600)
            else:
                self.token = token_path.read_text(encoding="utf-8").strip()
            self._wait_until_running(started)
            if first_start:
                # A fresh core announces "New devices discovered" once; tests that look at
                # notifications must see only their own.
                self._dismiss_notification("config_entry_discovery")
        except BaseException:
            self._terminate()
            raise
        self.last_start_seconds = time.monotonic() - started

    def stop(self) -> None:
        """SIGTERM and wait; Home Assistant saves its storage on the way down."""
        if self._process is None:
            return
        started = time.monotonic()
        self._terminate()
        self.last_stop_seconds = time.monotonic() - started

    def restart(self) -> None:
        self.stop()
        self.start()

    def rss_bytes(self) -> int | None:
        """Resident memory of the running core, from /proc."""
        if not self.running:
            return None
        try:
            status = Path(f"/proc/{self.pid}/status").read_text(encoding="ascii")
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return None

    def log_size(self) -> int:
        """Where the log ends now: ``problems_since`` reads what follows."""
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def problems_since(self, offset: int) -> list[str]:
        """The core's warnings and errors logged after ``offset``, minus KNOWN_NOISE."""
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return log_problems(log.read().decode("utf-8", errors="replace"))

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    # -- helpers for tests -----------------------------------------------------------------

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get_states(self) -> dict[str, dict[str, Any]]:
        response = self._session.get(self.api_url + "/states", headers=self.headers, timeout=10)
        response.raise_for_status()
        return {item["entity_id"]: item for item in response.json()}

    def get_state(self, entity_id: str) -> dict[str, Any] | None:
        response = self._session.get(
            f"{self.api_url}/states/{entity_id}", headers=self.headers, timeout=10
        )
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.json()

    def websocket_command(self, command: dict[str, Any], timeout: float = 30.0) -> Any:
        """Send one websocket command (without ``id``) and return its ``result``."""
        connection = self._authenticated_websocket(self.token, timeout)
        try:
            connection.send(json.dumps({"id": 1, **command}))
            while True:
                message = json.loads(connection.recv())
                if message.get("id") == 1 and message.get("type") == "result":
                    break
        finally:
            connection.close()
        if not message.get("success"):
            raise HomeAssistantCoreError(f"{command['type']} failed: {message.get('error')}")
        return message.get("result")

    def notifications(self) -> dict[str, dict[str, Any]]:
        """Persistent notifications by id (in 2025.4 they are not states)."""
        result = self.websocket_command({"type": "persistent_notification/get"})
        return {item["notification_id"]: item for item in result}

    # -- internals -------------------------------------------------------------------------

    def _dismiss_notification(self, notification_id: str) -> None:
        response = self._session.post(
            self.api_url + "/services/persistent_notification/dismiss",
            json={"notification_id": notification_id},
            headers=self.headers,
            timeout=10,
        )
        response.raise_for_status()

    def _environment(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if key.lower() not in ("http_proxy", "https_proxy", "all_proxy")
        }
        env["PATH"] = f"{self.install.venv / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}"
        return env

    def _terminate(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def _fail(self, reason: str) -> HomeAssistantCoreError:
        return HomeAssistantCoreError(
            f"Home Assistant at {self.url} {reason}; last lines of {self.log_path}:\n"
            + self.log_tail()
        )

    def _poll(self, started: float, ready: Callable[[], bool]) -> None:
        while True:
            if self._process is None or self._process.poll() is not None:
                code = None if self._process is None else self._process.returncode
                raise self._fail(f"exited with code {code} while starting")
            try:
                if ready():
                    return
            except requests.RequestException:
                pass
            if time.monotonic() - started > START_TIMEOUT:
                raise self._fail(f"was not ready within {START_TIMEOUT:.0f} s")
            time.sleep(0.2)

    def _wait_for_http(self, started: float) -> None:
        # An unauthenticated page: probing /api/ without a token would raise a
        # "Login attempt failed" notification in the core under test.
        self._poll(
            started,
            lambda: self._session.get(self.url + "/manifest.json", timeout=2).status_code == 200,
        )

    def _wait_until_running(self, started: float) -> None:
        def running() -> bool:
            response = self._session.get(self.api_url + "/config", headers=self.headers, timeout=2)
            if response.status_code == 401:
                raise self._fail("refused the test token (401)")
            return response.ok and response.json().get("state") == "RUNNING"

        self._poll(started, running)

    def _onboard(self) -> str:
        client_id = self.url + "/"
        response = self._session.post(
            self.api_url + "/onboarding/users",
            json={
                "client_id": client_id,
                "name": "Owner",
                "username": OWNER_USERNAME,
                "password": OWNER_PASSWORD,
                "language": "en",
            },
            timeout=30,
        )
        if response.status_code != 200:
            raise self._fail(f"refused onboarding ({response.status_code}: {response.text})")
        auth_code = response.json()["auth_code"]
        response = self._session.post(
            self.url + "/auth/token",
            data={"grant_type": "authorization_code", "code": auth_code, "client_id": client_id},
            timeout=30,
        )
        if response.status_code != 200:
            raise self._fail(f"refused the auth code ({response.status_code})")
        access_token = response.json()["access_token"]

        connection = self._authenticated_websocket(access_token, 30.0)
        try:
            connection.send(
                json.dumps(
                    {
                        "id": 1,
                        "type": "auth/long_lived_access_token",
                        "client_name": f"oura-addon tests {time.time_ns()}",
                        "lifespan": 3650,
                    }
                )
            )
            message = json.loads(connection.recv())
        finally:
            connection.close()
        if not message.get("success"):
            raise self._fail(f"gave no long-lived token: {message.get('error')}")
        return message["result"]

    def _authenticated_websocket(self, token: str, timeout: float) -> websocket.WebSocket:
        connection = websocket.create_connection(self.ws_url, timeout=timeout)
        try:
            hello = json.loads(connection.recv())
            if hello.get("type") != "auth_required":
                raise self._fail(f"opened the websocket with {hello.get('type')!r}")
            connection.send(json.dumps({"type": "auth", "access_token": token}))
            answer = json.loads(connection.recv())
            if answer.get("type") != "auth_ok":
                raise self._fail("refused the websocket token")
        except BaseException:
            connection.close()
            raise
        return connection
