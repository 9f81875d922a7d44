"""MQTT discovery: the topics and payloads of one Oura account's device, from the catalogue.

Pure: states and the account's identity in, ``(topic, payload)`` pairs out. The MQTT
publisher decides when to send them.

Topic layout (every message retained):

- ``oura/status``: the add-on's availability, ``online``, or ``offline`` from its last will;
- ``oura/<device>/availability``: the account's authorization (``offline`` when it needs
  reconnecting);
- ``oura/<device>/<key>``: one entity's state as JSON ``{"state": ..., "attributes": {...}}``;
- ``homeassistant/device/<device>/config``: the device-discovery message with every
  catalogue entity as a component;
- ``oura/<device>/event/<key>``: a moment (not retained: a replay must not fire again), JSON
  ``{"event_type": ..., <attributes>}``;
- ``oura/<device>/sync_now/press``: the sync button's command topic (the add-on listens;
  retained presses are ignored).

``<device>`` is ``oura_<Oura user id>``: it survives restarts, reinstalls and account renames.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from oura_addon import __version__
from oura_addon.catalogue import CONNECTED, SENSORS, SensorDescription
from oura_addon.catalogue import derive as _derive
from oura_addon.catalogue.events import EVENTS, SYNC_NOW, EventDescription
from oura_addon.homeassistant.dialect import DEFAULT_ENTITY_ID, dialect_for
from oura_addon.homeassistant.dialect import (
    OBJECT_ID as OBJECT_ID,  # re-exported: the two keys a payload may carry
)
from oura_addon.states import UNKNOWN, EntityState, last_night_entity_id

DISCOVERY_PREFIX = "homeassistant"
BASE_TOPIC = "oura"
ADDON_AVAILABILITY_TOPIC = f"{BASE_TOPIC}/status"
BIRTH_TOPIC = f"{DISCOVERY_PREFIX}/status"  # Home Assistant says "online" here when it starts
ONLINE, OFFLINE = "online", "offline"
PRESS = "PRESS"
# Every account's button: oura/<device>/sync_now/press.
PRESS_SUFFIX = f"/{SYNC_NOW.key}/press"
PRESS_SUBSCRIPTION = f"{BASE_TOPIC}/+{PRESS_SUFFIX}"

ORIGIN = {
    "name": "Oura Ring add-on",
    "sw_version": __version__,
    "support_url": "https://github.com/oura-ha/oura-addon",
}

# The catalogue attributes that discovery carries as entity options instead.
METADATA_ATTRIBUTES = frozenset(
    {
        "friendly_name",
        "icon",
        "attribution",
        "unit_of_measurement",
        "device_class",
        "state_class",
        "options",
    }
)
# Values with decimals Home Assistant should not show in full.
DISPLAY_PRECISION = {"h": 2, "°C": 2, "br/min": 1}


_TOPIC_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class Device:
    """One Oura account as Home Assistant sees it over MQTT."""

    account: str
    prefix: str  # entity ids: <domain>.<prefix>_<key>, as in core-API mode
    user_id: str  # Oura's user id: the root of every unique id
    label: str | None = None  # "Work" for a second account; None for the first

    @property
    def device_id(self) -> str:
        return "oura_" + _TOPIC_UNSAFE.sub("_", self.user_id)

    @property
    def name(self) -> str:
        return f"Oura {self.label}" if self.label else "Oura"

    @property
    def discovery_topic(self) -> str:
        return f"{DISCOVERY_PREFIX}/device/{self.device_id}/config"

    @property
    def availability_topic(self) -> str:
        return f"{BASE_TOPIC}/{self.device_id}/availability"

    def state_topic(self, description: SensorDescription) -> str:
        return f"{BASE_TOPIC}/{self.device_id}/{description.key}"

    def unique_id(self, description: SensorDescription | EventDescription) -> str:
        return f"{self.device_id}_{description.key}"

    def event_topic(self, event: EventDescription) -> str:
        return f"{BASE_TOPIC}/{self.device_id}/event/{event.key}"

    @property
    def press_topic(self) -> str:
        return f"{BASE_TOPIC}/{self.device_id}{PRESS_SUFFIX}"

    def topics(self, extra: Sequence[SensorDescription] = ()) -> list[str]:
        """Every retained topic of this device: what a removal clears."""
        return [
            self.discovery_topic,
            self.availability_topic,
            *(self.state_topic(d) for d in (*descriptions(), *extra)),
        ]


def descriptions() -> tuple[SensorDescription, ...]:
    return (*SENSORS, CONNECTED)


def insight_descriptions(
    prefix: str, states: Mapping[str, EntityState]
) -> tuple[SensorDescription, ...]:
    """The sleep insights' ``_last_night`` sensors among ``states``: not in the catalogue,
    they are described by their own state (name, unit) and by the entity they measure."""
    found = []
    for entity_id, state in sorted(states.items()):
        source = state.attributes.get("source")
        if not isinstance(source, str) or entity_id != last_night_entity_id(prefix, source):
            continue
        unit = state.attributes.get("unit_of_measurement")
        key = entity_id.split(".", 1)[1][len(prefix) + 1 :]
        found.append(
            SensorDescription(
                key,
                str(state.attributes.get("friendly_name") or key),
                "insights",
                _derive.latest_day,
                _derive.field("state"),
                unit=unit if isinstance(unit, str) else None,
                state_class="measurement",
                icon=str(state.attributes.get("icon") or "mdi:bed-clock"),
            )
        )
    return tuple(found)


def entity_key(core_version: str | None) -> str:
    """The discovery key a core of ``core_version`` reads the entity id from: 2025.10 and
    later read ``default_entity_id`` (with the domain), older cores ``object_id``."""
    return dialect_for(core_version).discovery_entity_key


def component(
    device: Device, description: SensorDescription, key: str = DEFAULT_ENTITY_ID
) -> dict[str, Any]:
    """One entity of the device-discovery message."""
    entity_id = description.entity_id(device.prefix)
    topic = device.state_topic(description)
    config: dict[str, Any] = {
        "platform": description.domain,
        "name": description.name,
        "unique_id": device.unique_id(description),
        key: entity_id if key == DEFAULT_ENTITY_ID else entity_id.split(".", 1)[1],
        "state_topic": topic,
        "value_template": "{{ value_json.state }}",
        "json_attributes_topic": topic,
        "json_attributes_template": "{{ value_json.attributes | tojson }}",
        "icon": description.icon,
    }
    if description.domain == "binary_sensor":
        config["payload_on"], config["payload_off"] = "on", "off"
    for option, value in (
        ("unit_of_measurement", description.unit),
        ("device_class", description.device_class),
        ("state_class", description.state_class),
        ("entity_category", description.entity_category),
        ("suggested_display_precision", DISPLAY_PRECISION.get(description.unit or "")),
    ):
        if value is not None:
            config[option] = value
    if description.options:
        config["options"] = list(description.options)
    if not description.enabled_by_default:
        config["enabled_by_default"] = False
    if description is CONNECTED:
        # The link's own sensor stays available to say that the account is disconnected.
        config["availability"] = [{"topic": ADDON_AVAILABILITY_TOPIC}]
    return config


def _entity_id_option(entity_id: str, key: str) -> str:
    return entity_id if key == DEFAULT_ENTITY_ID else entity_id.split(".", 1)[1]


def event_component(
    device: Device, event: EventDescription, key: str = DEFAULT_ENTITY_ID
) -> dict[str, Any]:
    """One moment as an ``event`` entity: its one event type, fired by non-retained messages."""
    return {
        "platform": "event",
        "name": event.name,
        "unique_id": device.unique_id(event),
        key: _entity_id_option(event.entity_id(device.prefix), key),
        "state_topic": device.event_topic(event),
        "event_types": [event.event_type],
        "icon": event.icon,
    }


def button_component(device: Device, key: str = DEFAULT_ENTITY_ID) -> dict[str, Any]:
    """The account's "Sync now" button: a press is a message on its command topic."""
    return {
        "platform": "button",
        "name": SYNC_NOW.name,
        "unique_id": f"{device.device_id}_{SYNC_NOW.key}",
        key: _entity_id_option(SYNC_NOW.entity_id(device.prefix), key),
        "command_topic": device.press_topic,
        "payload_press": PRESS,
        "retain": False,
        "icon": SYNC_NOW.icon,
    }


def event_payload(event: EventDescription, data: Mapping[str, Any]) -> str:
    """A moment's message: Home Assistant pops ``event_type``; the rest become attributes."""
    return encode({**data, "event_type": event.event_type})


def discovery_payload(
    device: Device,
    states: Mapping[str, EntityState],
    *,
    configuration_url: str | None = None,
    key: str = DEFAULT_ENTITY_ID,
    extra: Sequence[SensorDescription] = (),
    retired: Sequence[str] = (),
) -> dict[str, Any]:
    """The retained ``homeassistant/device/<device>/config`` message of one account.

    ``extra`` are components beyond the catalogue (the insights' sensors); a ``retired`` key
    is sent with its platform only, which makes Home Assistant remove that entity.
    """
    info: dict[str, Any] = {
        "identifiers": [device.device_id],
        "name": device.name,
        "manufacturer": "Oura",
    }
    ring = states.get(_ring_firmware().entity_id(device.prefix))
    if ring is not None:
        model = ring.attributes.get("hardware_type")
        info["model"] = f"Oura Ring {model}" if model else "Oura Ring"
        if ring.state != UNKNOWN:
            info["sw_version"] = ring.state
    if configuration_url:
        info["configuration_url"] = configuration_url
    return {
        "device": info,
        "origin": ORIGIN,
        "availability": [
            {"topic": ADDON_AVAILABILITY_TOPIC},
            {"topic": device.availability_topic},
        ],
        "availability_mode": "all",
        "qos": 1,
        "components": {
            **{k: {"platform": "sensor"} for k in retired},
            **{d.key: component(device, d, key) for d in (*descriptions(), *extra)},
            **{f"event_{e.key}": event_component(device, e, key) for e in EVENTS},
            SYNC_NOW.key: button_component(device, key),
        },
    }


def state_payload(state: EntityState) -> dict[str, Any]:
    """One entity's retained state message: the value (``None`` when unknown) and the
    attributes that are data (``day``...), not metadata discovery already carries."""
    return {
        "state": None if state.state == UNKNOWN else state.state,
        "attributes": {k: v for k, v in state.attributes.items() if k not in METADATA_ATTRIBUTES},
    }


def account_available(device: Device, states: Mapping[str, EntityState]) -> bool:
    """False once the account lost its authorization (its connected sensor is off)."""
    connected = states.get(CONNECTED.entity_id(device.prefix))
    return connected is None or connected.state != "off"


def device_messages(
    device: Device,
    states: Mapping[str, EntityState],
    *,
    configuration_url: str | None = None,
    key: str = DEFAULT_ENTITY_ID,
    extra: Sequence[SensorDescription] = (),
    retired: Sequence[str] = (),
) -> Iterator[tuple[str, str]]:
    """Every retained message of one device, discovery first, as (topic, payload)."""
    payload = discovery_payload(
        device,
        states,
        configuration_url=configuration_url,
        key=key,
        extra=extra,
        retired=retired,
    )
    yield device.discovery_topic, encode(payload)
    yield device.availability_topic, ONLINE if account_available(device, states) else OFFLINE
    for retired_key in retired:
        yield f"{BASE_TOPIC}/{device.device_id}/{retired_key}", ""
    for description in (*descriptions(), *extra):
        state = states.get(description.entity_id(device.prefix))
        if state is not None:
            yield device.state_topic(description), encode(state_payload(state))


def configuration_url(panel_path: str) -> str:
    """The panel as a link Home Assistant's device page opens in its own frontend."""
    return "homeassistant://" + panel_path.lstrip("/")


def encode(payload: Any) -> str:
    # Sorted keys: an unchanged value always encodes to the same bytes, so it is not resent.
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)


def _ring_firmware() -> SensorDescription:
    return next(d for d in SENSORS if d.key == "ring_firmware")
