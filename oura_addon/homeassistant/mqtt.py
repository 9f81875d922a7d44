"""The MQTT publisher: one retained discovery message per Oura account, retained states.

It offers the scheduler the same calls as the core-API ``Publisher`` (``publish``,
``republish_all``, ``ensure_present``, ``remove``, ``published``, ``last_error``,
``last_success``). paho-mqtt's network thread keeps the connection and reconnects with its
own backoff; this class only decides what the broker must hold:

- what was confirmed on the current connection is remembered per topic, so a cycle whose
  values did not change sends nothing; a new connection (broker restart) or Home
  Assistant's birth message sends everything again;
- the desired states, each account's Oura user id, the devices ever announced and the
  removals still to do are kept in ``/data/mqtt.json``, so a broker (or Home Assistant)
  that is down when an account is removed gets the removal when it is back.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oura_addon import __version__
from oura_addon.catalogue.events import EventDescription
from oura_addon.homeassistant.broker import Broker, BrokerLookup
from oura_addon.homeassistant.discovery import (
    ADDON_AVAILABILITY_TOPIC,
    BIRTH_TOPIC,
    DEFAULT_ENTITY_ID,
    OFFLINE,
    ONLINE,
    PRESS_SUBSCRIPTION,
    PRESS_SUFFIX,
    Device,
    descriptions,
    device_messages,
    event_payload,
    insight_descriptions,
)
from oura_addon.homeassistant.publisher import PublishResult, PublishStatus
from oura_addon.homeassistant.rest import valid_entity_id
from oura_addon.i18n import Text, _l
from oura_addon.states import EntityState, account_label
from oura_addon.store.files import CorruptFileError, read_json, write_json

if TYPE_CHECKING:
    import paho.mqtt.client as mqtt

_LOGGER = logging.getLogger(__name__)

STATE_FORMAT = 1
ACK_TIMEOUT = 10.0
KEEPALIVE = 30
# Asking the Supervisor again for the broker while disconnected, at most this often.
LOOKUP_INTERVAL = 60.0
# Events wait this long after a discovery message or Home Assistant's birth: an event sent
# before Home Assistant subscribed to its topic would be lost (it is not retained).
EVENT_GRACE_SECONDS = 5.0


@dataclass(frozen=True)
class AccountRef:
    name: str
    prefix: str


@dataclass(frozen=True)
class Probe:
    """One connection attempt: None when the broker accepted us, else why not."""

    problem: Text | None
    refused: bool = False  # the broker answered and said no (not: it was unreachable)


def connection_problem(broker: Broker, reason: object) -> Text:
    """One sentence for the panel about a refused connection (CONNACK's reason code)."""
    text = str(reason)
    if "password" in text.lower() or "authori" in text.lower():
        return _l(
            "The MQTT broker at %(broker)s refused the add-on's user name or password "
            "(%(reason)s). Check the options mqtt_username and mqtt_password.",
            broker=broker.address,
            reason=text,
        )
    return _l(
        "The MQTT broker at %(broker)s refused the connection (%(reason)s).",
        broker=broker.address,
        reason=text,
    )


def new_client(broker: Broker, client_id: str) -> mqtt.Client:
    # paho is imported by the installs that publish over MQTT, not by every process.
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv311,
    )
    if broker.username:
        client.username_pw_set(broker.username, broker.password)
    if broker.ssl:
        client.tls_set()
    client.enable_logger(logging.getLogger(__name__ + ".paho"))
    return client


def probe_broker(broker: Broker, timeout: float = 5.0) -> Probe:
    """Connect once and hang up."""
    done = threading.Event()
    outcome = [
        Probe(
            _l(
                "The MQTT broker at %(broker)s did not answer within %(seconds)d s.",
                broker=broker.address,
                seconds=int(timeout),
            )
        )
    ]

    def on_connect(
        client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        failed = reason_code.is_failure
        outcome[0] = Probe(connection_problem(broker, reason_code), True) if failed else Probe(None)
        done.set()

    client = new_client(broker, f"oura-addon-probe-{uuid.uuid4().hex[:8]}")
    client.on_connect = on_connect
    try:
        client.connect(broker.host, broker.port, keepalive=KEEPALIVE)
    except OSError as err:
        return Probe(
            _l(
                "The MQTT broker at %(broker)s is not reachable (%(error)s).",
                broker=broker.address,
                error=type(err).__name__,
            )
        )
    client.loop_start()
    try:
        done.wait(timeout)
    finally:
        client.disconnect()
        client.loop_stop()
    return outcome[0]


class MqttPublisher(PublishStatus):
    def __init__(
        self,
        *,
        lookup: Callable[[], BrokerLookup],
        accounts: Callable[[], Iterable[AccountRef]],
        identify: Callable[[str], str | None],
        state_path: Path,
        configuration_url: str | None = None,
        entity_key: Callable[[], str] = lambda: DEFAULT_ENTITY_ID,
        before_announcing: Callable[[Device], bool] = lambda device: True,
        home_assistant_up: Callable[[], bool] = lambda: True,
        retire: bool = False,
        client_factory: Callable[[Broker, str], mqtt.Client] = new_client,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._lookup = lookup
        self._accounts = accounts
        self._identify = identify
        self._path = state_path
        self._configuration_url = configuration_url
        self._entity_key = entity_key
        # Called before a device's first discovery message; False postpones it.
        self._before_announcing = before_announcing
        self._home_assistant_up = home_assistant_up
        self._retire = retire  # core-API mode: only clear what an earlier MQTT mode left
        self._client_factory = client_factory
        self._clock = clock
        self._io = threading.RLock()  # one flush at a time
        self._lock = threading.Lock()  # the maps and status, held briefly
        self._client: mqtt.Client | None = None
        self._broker: Broker | None = None
        self._client_id = f"oura-addon-{uuid.uuid4().hex[:8]}"
        self._connected = threading.Event()
        self._confirmed: dict[str, str] = {}  # topic -> payload the broker holds
        self._last_lookup = 0.0
        self._stopping = False
        self._on_press: Callable[[str], None] = lambda account: None
        self._events_wait_until = 0.0  # monotonic
        self.messages_sent = 0
        stored = self._load()
        self._desired: dict[str, EntityState] = stored["states"]
        self._identities: dict[str, str] = stored["identities"]
        # device id -> {"account", "prefix", "topics"}: every device ever announced
        self._announced: dict[str, dict[str, Any]] = stored["devices"]
        self._removals: dict[str, list[str]] = stored["removals"]  # device id -> its topics
        if retire:
            for device_id, announced in self._announced.items():
                self._removals.setdefault(device_id, list(announced["topics"]))

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def broker(self) -> Broker | None:
        return self._broker

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def start(self) -> None:
        """Connect in the background; paho reconnects with its backoff when the link drops."""
        self._connect(self._lookup())

    def stop(self, timeout: float = 3.0) -> None:
        """Say ``offline`` ourselves (a clean disconnect sends no last will) and hang up."""
        self._stopping = True
        client = self._client
        if client is None:
            return
        if self.connected and not self._retire:
            info = client.publish(ADDON_AVAILABILITY_TOPIC, OFFLINE, qos=1, retain=True)
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(timeout)
        client.disconnect()
        client.loop_stop()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def has_leftovers(self) -> bool:
        """Devices announced by an earlier MQTT mode that are not cleared yet."""
        with self._lock:
            return bool(self._removals or (self._retire and self._announced))

    def unique_ids(self) -> dict[str, str]:
        """Default entity id -> unique id of every entity announced (for statistics)."""
        with self._lock:
            announced = [(d, a["prefix"]) for d, a in self._announced.items()]
        return {
            d.entity_id(prefix): f"{device_id}_{d.key}"
            for device_id, prefix in announced
            for d in descriptions()
        }

    def devices(self) -> int:
        with self._lock:
            return 0 if self._retire else len(self._announced)

    # -- automations ---------------------------------------------------------------------------

    def on_sync_pressed(self, handler: Callable[[str], None]) -> None:
        """Call ``handler(account)`` when an account's Sync now button is pressed."""
        self._on_press = handler

    def fire_event(self, account: str, event: EventDescription, data: Mapping[str, Any]) -> bool:
        """One moment on its event entity's topic; True once the broker confirmed it. False
        (sent again later) while disconnected, before the account's device is announced and
        for EVENT_GRACE_SECONDS after a discovery message or Home Assistant's birth."""
        client = self._client
        with self._lock:
            user_id = self._identities.get(account)
            announced = user_id is not None and any(
                a["account"] == account for a in self._announced.values()
            )
            settling = time.monotonic() < self._events_wait_until
        if client is None or not self.connected or user_id is None or not announced or settling:
            return False
        topic = Device(account, "", user_id).event_topic(event)
        info = client.publish(topic, event_payload(event, data), qos=1, retain=False)
        with contextlib.suppress(RuntimeError, ValueError):
            info.wait_for_publish(ACK_TIMEOUT)
        if not info.is_published():
            return False
        self.messages_sent += 1
        return True

    # -- the Publisher interface -------------------------------------------------------------

    def publish(self, desired: Mapping[str, EntityState]) -> PublishResult:
        with self._io:
            with self._lock:
                changed = {e: s for e, s in desired.items() if self._desired.get(e) != s}
                self._desired.update(changed)
            if changed:
                self._save()
            sent = self._flush()
            return PublishResult(sent, len(desired) - len(set(sent) & desired.keys()))

    def republish_all(self) -> PublishResult:
        with self._io:
            with self._lock:
                self._confirmed.clear()
            return PublishResult(self._flush(), 0)

    def ensure_present(self) -> bool:
        """Between cycles: find the broker again while disconnected, send what is due."""
        if not self.connected:
            self._relookup()
            return False
        with self._io:
            self._flush()
        return False

    def remove(self, entity_ids: Iterable[str]) -> int:
        """Remove the devices these entities belong to; kept in /data until it is done."""
        removed = set(entity_ids)
        count = 0
        with self._io:
            with self._lock:
                for entity_id in removed:
                    count += self._desired.pop(entity_id, None) is not None
                for device_id, announced in list(self._announced.items()):
                    prefix = announced["prefix"]
                    if removed & {d.entity_id(prefix) for d in descriptions()}:
                        self._removals[device_id] = list(announced["topics"])
                        del self._announced[device_id]
                        self._identities.pop(announced["account"], None)
            self._save()
            self._flush()
        return count

    def published(self) -> dict[str, EntityState]:
        with self._lock:
            return dict(self._desired)

    # -- connection ----------------------------------------------------------------------------

    def _connect(self, found: BrokerLookup) -> None:
        self._last_lookup = time.monotonic()
        broker = found.broker
        if broker is None:
            self._failed(found.problem or _l("No MQTT broker is known."))
            return
        if broker == self._broker and self._client is not None:
            return
        old, self._client = self._client, None
        if old is not None:
            old.disconnect()
            old.loop_stop()
        self._connected.clear()
        self._broker = broker
        client = self._client_factory(broker, self._client_id)
        if not self._retire:
            client.will_set(ADDON_AVAILABILITY_TOPIC, OFFLINE, qos=1, retain=True)
        client.reconnect_delay_set(min_delay=1, max_delay=60)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.connect_async(broker.host, broker.port, keepalive=KEEPALIVE)
        client.loop_start()
        self._client = client

    def _relookup(self) -> None:
        if self._stopping or time.monotonic() - self._last_lookup < LOOKUP_INTERVAL:
            return
        found = self._lookup()
        if found.broker is not None and found.broker != self._broker:
            _LOGGER.info("MQTT broker is now %s", found.broker.address)
        self._connect(found)

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        if reason_code.is_failure:
            assert self._broker is not None
            self._failed(connection_problem(self._broker, reason_code))
            _LOGGER.warning("%s", self.last_error)
            return
        _LOGGER.info("Connected to the MQTT broker at %s", self._broker and self._broker.address)
        with self._lock:
            self._confirmed.clear()  # a new session: the broker may have lost everything
        client.subscribe(BIRTH_TOPIC, qos=1)
        if not self._retire:
            client.subscribe(PRESS_SUBSCRIPTION, qos=1)
        self._connected.set()
        self._flush_soon()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        self._connected.clear()
        if self._stopping:
            return
        address = self._broker.address if self._broker else "?"
        self._failed(
            _l(
                "Lost the connection to the MQTT broker at %(broker)s; reconnecting. "
                "Oura is still polled and nothing is lost.",
                broker=address,
            )
        )
        _LOGGER.warning("%s", self.last_error)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        if message.topic.endswith(PRESS_SUFFIX):
            self._pressed(message.topic, bool(message.retain))
            return
        if message.topic == BIRTH_TOPIC and message.payload == ONLINE.encode():
            _LOGGER.info("Home Assistant started; sending discovery and states again")
            with self._lock:
                self._confirmed.clear()
                self._events_wait_until = time.monotonic() + EVENT_GRACE_SECONDS
            self._flush_soon()

    def _pressed(self, topic: str, retained: bool) -> None:
        if retained:
            # A press someone left retained would sync at every connection: not a press.
            _LOGGER.info("Ignoring a retained press on %s", topic)
            return
        with self._lock:
            accounts = dict(self._identities)
        for account, user_id in accounts.items():
            if Device(account, "", user_id).press_topic == topic:
                _LOGGER.info("Sync now pressed in Home Assistant for account %s", account)
                self._on_press(account)
                return
        _LOGGER.info("A press on %s names no account of this add-on", topic)

    def _flush_soon(self) -> None:
        # Not on paho's network thread: a flush waits for acknowledgements from it.
        threading.Thread(target=self._flush_guarded, name="oura-mqtt-flush", daemon=True).start()

    def _flush_guarded(self) -> None:
        try:
            with self._io:
                self._flush()
        except Exception:
            _LOGGER.exception("Publishing to the MQTT broker failed; retrying next cycle")

    # -- what goes out -----------------------------------------------------------------------

    def _flush(self) -> tuple[str, ...]:
        """Send every message whose payload the broker does not hold yet; returns the
        entity ids whose state went out."""
        client = self._client
        if client is None or not self.connected:
            return ()
        messages: list[tuple[str, str, str | None]] = []  # topic, payload, entity id
        removals: dict[str, list[str]] = {}
        with self._lock:
            if self._removals and self._home_assistant_up():
                removals = {d: list(t) for d, t in self._removals.items()}
        for topics in removals.values():
            messages += [(topic, "", None) for topic in topics]
        if self._retire:
            messages.append((ADDON_AVAILABILITY_TOPIC, "", None))
        else:
            messages.append((ADDON_AVAILABILITY_TOPIC, ONLINE, None))
            messages += self._device_messages()
        with self._lock:
            due = [m for m in messages if self._confirmed.get(m[0]) != m[1]]
        if not due:
            self._succeeded()
            return ()
        infos = [(m, client.publish(m[0], m[1], qos=1, retain=True)) for m in due]
        deadline = time.monotonic() + ACK_TIMEOUT
        sent: list[str] = []
        unconfirmed = 0
        for (topic, payload, entity_id), info in infos:
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(max(0.0, deadline - time.monotonic()))
            if not info.is_published():
                unconfirmed += 1
                continue
            self.messages_sent += 1
            with self._lock:
                self._confirmed[topic] = payload
            if entity_id is not None:
                sent.append(entity_id)
        with self._lock:
            for device_id, topics in removals.items():
                if all(self._confirmed.get(t) == "" for t in topics):
                    self._removals.pop(device_id, None)
                    self._announced.pop(device_id, None)
                    for topic in topics:
                        self._confirmed.pop(topic, None)
        if removals:
            self._save()
        if unconfirmed:
            self._failed(
                _l(
                    "The MQTT broker did not confirm %(count)d message(s); they are sent again.",
                    count=unconfirmed,
                )
            )
        else:
            self._succeeded()
        return tuple(sent)

    def _device_messages(self) -> list[tuple[str, str, str | None]]:
        key = self._entity_key()
        with self._lock:
            states = dict(self._desired)
        messages: list[tuple[str, str, str | None]] = []
        announced_now = False
        for account in self._accounts():
            device = self._device(account)
            if device is None:
                continue
            extra = insight_descriptions(device.prefix, states)  # the insights' sensors
            every = (*descriptions(), *extra)
            own = {d.entity_id(device.prefix) for d in every}
            account_states = {e: s for e, s in states.items() if e in own}
            if not account_states:
                continue  # nothing synced yet: announce the device with its first values
            with self._lock:
                first_time = device.device_id not in self._announced
                known = self._announced.get(device.device_id, {}).get("extras")
            if first_time and not self._before_announcing(device):
                continue
            extra_keys = {d.key for d in extra}
            known_keys = [k for k in known if isinstance(k, str)] if isinstance(known, list) else []
            retired = [k for k in known_keys if k not in extra_keys]
            by_topic = {device.state_topic(d): d.entity_id(device.prefix) for d in every}
            for topic, payload in device_messages(
                device,
                account_states,
                configuration_url=self._configuration_url,
                key=key,
                extra=extra,
                retired=retired,
            ):
                messages.append((topic, payload, by_topic.get(topic)))
            with self._lock:
                if device.device_id not in self._announced:
                    self._announced[device.device_id] = {
                        "account": device.account,
                        "prefix": device.prefix,
                        "topics": device.topics(extra),
                        "extras": sorted(extra_keys),
                    }
                    self._removals.pop(device.device_id, None)
                    self._events_wait_until = time.monotonic() + EVENT_GRACE_SECONDS
                    announced_now = True
                elif not extra_keys <= set(known_keys):
                    # Removing the device later must clear these sensors' topics too.
                    entry = self._announced[device.device_id]
                    entry["extras"] = sorted(extra_keys | set(known_keys))
                    entry["topics"] = sorted(set(entry["topics"]) | set(device.topics(extra)))
                    announced_now = True
        if announced_now:
            self._save()
        return messages

    def _device(self, account: AccountRef) -> Device | None:
        with self._lock:
            user_id = self._identities.get(account.name)
        if user_id is None:
            user_id = self._identify(account.name)
            if user_id is None:
                return None  # asked again at the next flush
            with self._lock:
                self._identities[account.name] = user_id
            self._save()
        return Device(
            account.name, account.prefix, user_id, account_label(account.name, account.prefix)
        )

    # -- status and storage ----------------------------------------------------------------------

    def _load(self) -> dict[str, Any]:
        empty: dict[str, Any] = {"states": {}, "identities": {}, "devices": {}, "removals": {}}
        try:
            stored = read_json(self._path, use_backup=True)
        except CorruptFileError as err:
            _LOGGER.warning("%s; starting with nothing announced over MQTT", err)
            return empty
        if not isinstance(stored, dict):
            return empty
        states = stored.get("states")
        loaded = dict(empty)
        if isinstance(states, dict):
            loaded["states"] = {
                e: EntityState.from_json(e, b)
                for e, b in states.items()
                if isinstance(e, str) and isinstance(b, dict) and valid_entity_id(e)
            }
        for key in ("identities",):
            value = stored.get(key)
            if isinstance(value, dict):
                loaded[key] = {k: v for k, v in value.items() if isinstance(v, str)}
        removals = stored.get("removals")
        if isinstance(removals, dict):
            loaded["removals"] = {
                k: [t for t in v if isinstance(t, str)]
                for k, v in removals.items()
                if isinstance(v, list)
            }
        devices = stored.get("devices")
        if isinstance(devices, dict):
            loaded["devices"] = {
                k: v
                for k, v in devices.items()
                if isinstance(v, dict)
                and isinstance(v.get("account"), str)
                and isinstance(v.get("prefix"), str)
                and isinstance(v.get("topics"), list)
            }
        return loaded

    def _save(self) -> None:
        with self._lock:
            document = {
                "format": STATE_FORMAT,
                "version": __version__,
                "states": {e: s.to_json() for e, s in self._desired.items()},
                "identities": dict(self._identities),
                "devices": {d: dict(a) for d, a in self._announced.items()},
                "removals": {d: list(t) for d, t in self._removals.items()},
            }
        try:
            write_json(self._path, document, keep_backup=True)
        except (OSError, TypeError, ValueError) as err:
            _LOGGER.warning("Could not save %s: %s", self._path.name, err)
