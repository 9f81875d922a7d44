"""One immutable Settings object, built from options.json and the environment.

Bad input never raises: every problem becomes a plain sentence in ``Settings.problems`` so
the panel can show what to fix while the add-on keeps running.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict
from urllib.parse import urlsplit

from oura_addon.i18n import _l
from oura_addon.oura.implementations import PORTALS
from oura_addon.store.files import UnusableFile, load_document

DEFAULT_OURA_API_URL = "https://api.ouraring.com"
DEFAULT_OURA_AUTH_URL = "https://cloud.ouraring.com"
# Apps registered on Oura's newer developer portal must use this token URL.
DEFAULT_OURA_FALLBACK_TOKEN_URL = "https://moi.ouraring.com/oauth/v2/ext/oauth-token"
# Oura's new identity provider; its discovery document names its endpoints.
DEFAULT_OURA_ISSUER_URL = "https://moi.ouraring.com/oauth/v2/ext/oauth-anonymous"
INGRESS_PROXY_ADDRESS = "172.30.32.2"

POLL_INTERVAL_RANGE = (1, 1440)
# Up to the whole history: Oura's first rings synced in 2015.
HISTORY_DAYS_RANGE = (1, 5000)
RECONCILE_DAYS_RANGE = (1, 60)
LOG_LEVELS = ("debug", "info", "warning", "error")
PUBLISH_MODES = ("auto", "mqtt", "core_api")
MQTT_PORT_RANGE = (1, 65535)


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("/data")
    host: str = "0.0.0.0"
    port: int = 8099
    trusted_clients: tuple[str, ...] = (INGRESS_PROXY_ADDRESS,)
    supervisor_url: str = "http://supervisor"
    supervisor_token: str | None = field(default=None, repr=False)
    ha_api_url: str = "http://supervisor/core/api"
    ha_ws_url: str = "ws://supervisor/core/websocket"
    oura_api_url: str = DEFAULT_OURA_API_URL
    oura_auth_url: str = DEFAULT_OURA_AUTH_URL
    oura_token_url: str = DEFAULT_OURA_API_URL + "/oauth/token"
    oura_fallback_token_url: str = DEFAULT_OURA_FALLBACK_TOKEN_URL
    oura_issuer_url: str = DEFAULT_OURA_ISSUER_URL
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    portal: str | None = None  # where the options' app was created; None: not said
    poll_interval_minutes: int = 10
    history_days: int = 90
    reconcile_days: int = 7
    log_level: str = "info"
    # MQTT: a broker given here wins over the one the Supervisor offers (services: mqtt).
    publish_mode: str = "auto"
    mqtt_host: str | None = None
    mqtt_port: int | None = None
    mqtt_username: str | None = None
    mqtt_password: str | None = field(default=None, repr=False)
    demo: bool = False
    # The system's zone name (the Supervisor sets TZ for add-ons): the days' zone until Home
    # Assistant tells its own.
    system_timezone: str | None = None
    # Push from Oura: the public address of the webhook port (None: polling only).
    webhook_url: str | None = None
    webhook_port: int = 8098
    # How long a sign-in's OAuth state may wait for Oura's answer (OURA_ADDON_SIGN_IN_SECONDS,
    # shorter only for tests); Oura's codes live 10 minutes as well.
    sign_in_seconds: int = 600
    problems: tuple[str, ...] = ()

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must never reach a log line or a page."""
        return tuple(
            s for s in (self.client_secret, self.supervisor_token, self.mqtt_password) if s
        )


def _url(value: str, name: str, problems: list[str], fallback: str) -> str:
    value = value.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https", "ws", "wss") or not parts.netloc:
        problems.append(
            _l(
                "%(name)s must be an http(s) or ws(s) URL, got %(value)r; using %(fallback)s.",
                name=name,
                value=value,
                fallback=fallback,
            )
        )
        return fallback
    return value


def _int_option(
    options: Mapping[str, object],
    key: str,
    default: int,
    bounds: tuple[int, int],
    problems: list[str],
) -> int:
    raw = options.get(key, default)
    if raw is None:
        return default
    low, high = bounds
    # Option values are shown as the options editor writes them, not in the locale's digits.
    not_a_number = _l(
        "Option %(key)s must be a whole number from %(low)s to %(high)s; using %(default)s.",
        key=key,
        low=low,
        high=high,
        default=default,
    )
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        problems.append(not_a_number)
        return default
    try:
        value = int(raw)
    except ValueError:
        problems.append(not_a_number)
        return default
    if not low <= value <= high:
        problems.append(
            _l(
                "Option %(key)s=%(value)s is outside %(low)s..%(high)s; using %(default)s.",
                key=key,
                value=value,
                low=low,
                high=high,
                default=default,
            )
        )
        return default
    return value


def _str_option(options: Mapping[str, object], key: str, problems: list[str]) -> str | None:
    raw = options.get(key)
    if raw is None:
        return None
    if not isinstance(raw, str):
        problems.append(_l("Option %(key)s must be text; ignoring it.", key=key))
        return None
    return raw.strip() or None


def _choice_option(
    options: Mapping[str, object],
    key: str,
    choices: tuple[str, ...],
    default: str,
    problems: list[str],
) -> str:
    value = _str_option(options, key, problems) or default
    if value in choices:
        return value
    problems.append(
        _l(
            "Option %(key)s must be one of %(choices)s; using %(default)s.",
            key=key,
            choices=", ".join(choices),
            default=default,
        )
    )
    return default


def _portal_option(options: Mapping[str, object], problems: list[str]) -> str | None:
    portal = _str_option(options, "portal", problems)
    if portal is None or portal in PORTALS:
        return portal
    problems.append(
        _l(
            "Option portal must be new or classic, got %(value)r; the add-on finds out "
            "which kind of app it is when you connect.",
            value=portal[:40],
        )
    )
    return None


def _port_variable(env: Mapping[str, str], name: str, default: int, problems: list[str]) -> int:
    text = env.get(name, str(default))
    try:
        port = int(text)
    except ValueError:
        port = -1
    if 0 <= port <= 65535:
        return port
    problems.append(
        _l(
            "%(name)s=%(value)r is not a port number; using %(default)s.",
            name=name,
            value=text,
            default=default,
        )
    )
    return default


LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def _webhook_url_option(options: Mapping[str, object], problems: list[str]) -> str | None:
    """The public HTTPS address Oura posts to; plain http only on loopback (tests)."""
    value = _str_option(options, "webhook_url", problems)
    if value is None:
        return None
    parts = urlsplit(value)
    try:
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        host = ""
    loopback = host in LOOPBACK_HOSTS or host.startswith("127.")
    if host and (parts.scheme == "https" or (parts.scheme == "http" and loopback)):
        return value
    problems.append(
        _l(
            "Option webhook_url must be an https:// address that reaches the add-on's "
            "webhook port, got %(value)r; Oura's data is polled instead.",
            value=value[:80],
        )
    )
    return None


class RemoteUrls(TypedDict):
    supervisor_url: str
    ha_api_url: str
    ha_ws_url: str
    oura_api_url: str
    oura_auth_url: str
    oura_token_url: str
    oura_fallback_token_url: str
    oura_issuer_url: str


def _remote_urls(env: Mapping[str, str], defaults: Settings, problems: list[str]) -> RemoteUrls:
    """Every remote address, from the environment (tests and demo mode point them at loopback)."""

    def url(name: str, fallback: str) -> str:
        return _url(env.get(name) or fallback, name, problems, fallback)

    supervisor_url = url("SUPERVISOR_URL", defaults.supervisor_url)
    oura_api_url = url("OURA_API_URL", DEFAULT_OURA_API_URL)
    # A relocated API (tests, demo) moves the fallback token URL and the issuer along with
    # it, so nothing outside that host is ever called.
    relocated = oura_api_url != DEFAULT_OURA_API_URL
    return RemoteUrls(
        supervisor_url=supervisor_url,
        ha_api_url=url("HA_API_URL", f"{supervisor_url}/core/api"),
        ha_ws_url=url("HA_WS_URL", defaults.ha_ws_url),
        oura_api_url=oura_api_url,
        oura_auth_url=url("OURA_AUTH_URL", DEFAULT_OURA_AUTH_URL),
        oura_token_url=env.get("OURA_TOKEN_URL") or f"{oura_api_url}/oauth/token",
        oura_fallback_token_url=env.get("OURA_FALLBACK_TOKEN_URL")
        or (
            f"{oura_api_url}/oauth/v2/ext/oauth-token"
            if relocated
            else DEFAULT_OURA_FALLBACK_TOKEN_URL
        ),
        oura_issuer_url=url(
            "OURA_ISSUER_URL",
            f"{oura_api_url}/oauth/v2/ext/oauth-anonymous"
            if relocated
            else DEFAULT_OURA_ISSUER_URL,
        ),
    )


def read_options(path: Path) -> tuple[dict[str, object], list[str]]:
    """Read the Supervisor's options.json; a missing or broken file yields {} and a problem."""
    try:
        options: object = load_document(path)
    except FileNotFoundError:
        return {}, [_l("No options file at %(path)s; using defaults.", path=str(path))]
    except UnusableFile as err:
        return {}, [
            _l(
                "%(path)s is ignored: %(reason)s. Using defaults.",
                path=str(path),
                reason=err.reason,
            )
        ]
    if not isinstance(options, dict):
        return {}, [_l("%(path)s must hold a JSON object; using defaults.", path=str(path))]
    return options, []


def _sign_in_seconds(env: Mapping[str, str], default: int) -> int:
    """A test's short sign-in lifetime; anything but 1..600 whole seconds keeps the default."""
    value = env.get("OURA_ADDON_SIGN_IN_SECONDS", "").strip()
    return int(value) if value.isdigit() and 1 <= int(value) <= default else default


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build the add-on's settings from the environment and ``$OURA_ADDON_DATA/options.json``."""
    env = os.environ if environ is None else environ
    problems: list[str] = []
    defaults = Settings()

    data_dir = Path(env.get("OURA_ADDON_DATA") or defaults.data_dir)
    options, option_problems = read_options(data_dir / "options.json")
    problems += option_problems
    port = _port_variable(env, "OURA_ADDON_PORT", defaults.port, problems)
    trusted = tuple(
        a.strip()
        for a in env.get("OURA_ADDON_TRUSTED_CLIENTS", INGRESS_PROXY_ADDRESS).split(",")
        if a.strip()
    )
    urls = _remote_urls(env, defaults, problems)

    def number(key: str, default: int, bounds: tuple[int, int]) -> int:
        return _int_option(options, key, default, bounds, problems)

    def text(key: str) -> str | None:
        return _str_option(options, key, problems)

    return Settings(
        data_dir=data_dir,
        host=env.get("OURA_ADDON_HOST", defaults.host),
        port=port,
        trusted_clients=trusted,
        supervisor_token=env.get("SUPERVISOR_TOKEN") or None,
        **urls,
        client_id=text("client_id"),
        client_secret=text("client_secret"),
        portal=_portal_option(options, problems),
        poll_interval_minutes=number(
            "poll_interval", defaults.poll_interval_minutes, POLL_INTERVAL_RANGE
        ),
        history_days=number("history_days", defaults.history_days, HISTORY_DAYS_RANGE),
        reconcile_days=number("reconcile_days", defaults.reconcile_days, RECONCILE_DAYS_RANGE),
        log_level=_choice_option(options, "log_level", LOG_LEVELS, defaults.log_level, problems),
        publish_mode=_choice_option(
            options, "publish_mode", PUBLISH_MODES, defaults.publish_mode, problems
        ),
        mqtt_host=text("mqtt_host"),
        mqtt_port=number("mqtt_port", 1883, MQTT_PORT_RANGE)
        if options.get("mqtt_port") is not None
        else None,
        mqtt_username=text("mqtt_username"),
        mqtt_password=text("mqtt_password"),
        demo=env.get("OURA_ADDON_DEMO", "") in ("1", "true", "yes"),
        system_timezone=env.get("TZ", "").lstrip(":") or None,
        webhook_url=_webhook_url_option(options, problems),
        webhook_port=_port_variable(env, "OURA_WEBHOOK_PORT", defaults.webhook_port, problems),
        sign_in_seconds=_sign_in_seconds(env, defaults.sign_in_seconds),
        problems=tuple(problems),
    )
