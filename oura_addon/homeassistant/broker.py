"""Which MQTT broker to use: the add-on's options, else the one the Supervisor offers.

With ``services: [mqtt:want]`` in config.yaml the Supervisor answers
``GET {SUPERVISOR_URL}/services/mqtt`` with the broker add-on's host, port and a user made
for us; it answers 400 when no broker add-on provides the service. Options ``mqtt_host``
(and port, username, password) name a broker outside Home Assistant and need no Supervisor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from oura_addon.homeassistant.supervisor import SupervisorClient
from oura_addon.i18n import Text, _l
from oura_addon.settings import Settings

DEFAULT_PORT = 1883


@dataclass(frozen=True)
class Broker:
    host: str
    port: int = DEFAULT_PORT
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ssl: bool = False
    source: str = "options"  # "options" or "supervisor"

    @property
    def address(self) -> str:
        """host:port, what the panel shows (never the password)."""
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class BrokerLookup:
    broker: Broker | None
    problem: Text | None = None  # why none is known, as a sentence


def broker_from_options(settings: Settings) -> Broker | None:
    if not settings.mqtt_host:
        return None
    return Broker(
        host=settings.mqtt_host,
        port=settings.mqtt_port or DEFAULT_PORT,
        username=settings.mqtt_username,
        password=settings.mqtt_password,
        source="options",
    )


def broker_from_service(body: Any) -> Broker | None:
    """The broker in the Supervisor's ``/services/mqtt`` answer, or None if it is unusable."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        return None
    host = data.get("host")
    port = data.get("port", DEFAULT_PORT)
    if not isinstance(host, str) or not host or isinstance(port, bool):
        return None
    try:
        port = int(port)
    except (TypeError, ValueError):
        return None
    username, password = data.get("username"), data.get("password")
    return Broker(
        host=host,
        port=port,
        username=username if isinstance(username, str) and username else None,
        password=password if isinstance(password, str) and password else None,
        ssl=data.get("ssl") is True,
        source="supervisor",
    )


def resolve_broker(settings: Settings, supervisor: SupervisorClient) -> BrokerLookup:
    """The broker to connect to now; asked again whenever the connection is lost."""
    configured = broker_from_options(settings)
    if configured is not None:
        return BrokerLookup(configured)
    if not settings.supervisor_token:
        return BrokerLookup(None, _l("No MQTT broker is configured (option mqtt_host is empty)."))
    status, body = supervisor.mqtt_service()
    if status is None:
        return BrokerLookup(None, _l("The Supervisor is not reachable (%(error)s).", error=body))
    if status == 400:
        return BrokerLookup(
            None, _l("No MQTT broker add-on is installed (the Supervisor offers no mqtt service).")
        )
    if not 200 <= status < 300:
        return BrokerLookup(
            None, _l("The Supervisor answered %(status)s when asked for the broker.", status=status)
        )
    broker = broker_from_service(body)
    if broker is None:
        return BrokerLookup(
            None, _l("The Supervisor's answer about the MQTT broker is unreadable.")
        )
    return BrokerLookup(broker)
