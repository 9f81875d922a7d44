"""Which way the sensors reach Home Assistant (MQTT discovery or the core API), decided once
at start, and the clean-up that makes a switch leave no orphans.

- ``auto``: MQTT when a broker is known and accepts us, else the core API (with the reason);
- ``mqtt``: MQTT, reconnecting for as long as it takes;
- ``core_api``: the core API.

Going to MQTT deletes the core-API states first (an entity id still held by a pushed state
would push the MQTT entity to ``..._2``); going back clears the retained discovery first.
Either way the entity ids stay the same.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from oura_addon.catalogue.events import EventDescription
from oura_addon.homeassistant.broker import Broker, BrokerLookup, resolve_broker
from oura_addon.homeassistant.discovery import Device, descriptions, entity_key
from oura_addon.homeassistant.mqtt import AccountRef, MqttPublisher, Probe, probe_broker
from oura_addon.homeassistant.publisher import CoreApiPublisher, Publisher, PublishResult
from oura_addon.homeassistant.rest import HomeAssistantClient, HomeAssistantError
from oura_addon.homeassistant.supervisor import SupervisorClient
from oura_addon.i18n import Text, _l
from oura_addon.oura.errors import AccessDenied
from oura_addon.services import PublishState
from oura_addon.settings import Settings
from oura_addon.states import EntityState
from oura_addon.store.accounts import AccountStore

_LOGGER = logging.getLogger(__name__)

MQTT, CORE_API = "mqtt", "core_api"
# How long the core API waits for the broker to clear an earlier MQTT mode's devices.
RETIRE_WAIT_SECONDS = 10.0
VERSION_CACHE_SECONDS = 3600.0


@dataclass
class Publishing:
    """The chosen publisher and what the panel says about it."""

    publisher: Publisher
    mode: str
    configured: str
    reason: Text | None
    mqtt: MqttPublisher | None  # the live connection in MQTT mode, or the retiring one
    events: HomeAssistantClient | None = None  # core-API mode's bus

    def state(self) -> PublishState:
        mqtt = self.mqtt
        broker = mqtt.broker.address if mqtt is not None and mqtt.broker else None
        message = self.reason
        if self.mode == MQTT and mqtt is not None and not mqtt.connected:
            message = mqtt.last_error or _l("Connecting to the MQTT broker.")
        return PublishState(
            mode=self.mode,
            configured=self.configured,
            broker=broker,
            connected=bool(mqtt and mqtt.connected) if self.mode == MQTT else False,
            devices=mqtt.devices() if mqtt is not None and self.mode == MQTT else 0,
            message=message,
        )

    def unique_ids(self) -> dict[str, str]:
        """Default entity id -> unique id in MQTT mode; the statistics follow renames."""
        return self.mqtt.unique_ids() if self.mqtt is not None and self.mode == MQTT else {}

    def stop(self) -> None:
        if self.mqtt is not None:
            self.mqtt.stop()

    def announce(self, account: str, event: EventDescription, data: Mapping[str, Any]) -> bool:
        """One moment: on the account's event entity (MQTT), else on Home Assistant's bus as
        ``oura_<key>_<type>`` with ``account``. True once delivered."""
        if self.mode == MQTT and self.mqtt is not None:
            return self.mqtt.fire_event(account, event, data)
        if self.events is None:
            return False
        try:
            self.events.fire_event(event.bus_event, {"account": account, **data})
        except HomeAssistantError as err:
            _LOGGER.info("The %s event waits for Home Assistant: %s", event.bus_event, err)
            return False
        return True

    def on_sync_pressed(self, handler: Callable[[str], None]) -> None:
        """MQTT mode's Sync now buttons call ``handler(account)``; the core API has none."""
        if self.mode == MQTT and self.mqtt is not None:
            self.mqtt.on_sync_pressed(handler)


class CoreApiAfterMqtt:
    """The core-API publisher, holding its first post until the broker cleared the devices
    an earlier MQTT mode announced (at most ``RETIRE_WAIT_SECONDS``; then it goes ahead and
    the clearing is retried every cycle)."""

    def __init__(self, core: CoreApiPublisher, retiring: MqttPublisher) -> None:
        self._core = core
        self._retiring = retiring
        self._started = time.monotonic()

    @property
    def last_error(self) -> str | None:
        return self._core.last_error

    @property
    def last_error_at(self) -> datetime | None:
        return self._core.last_error_at

    @property
    def last_success(self) -> datetime | None:
        return self._core.last_success

    def _settle(self) -> None:
        if not self._retiring.has_leftovers():
            return
        waited = time.monotonic() - self._started
        if self._retiring.wait_connected(max(0.0, RETIRE_WAIT_SECONDS - waited)):
            self._retiring.ensure_present()
            if not self._retiring.has_leftovers():
                time.sleep(1.0)  # let Home Assistant drop the MQTT entities before we post

    def publish(self, desired: Mapping[str, EntityState]) -> PublishResult:
        self._settle()
        return self._core.publish(desired)

    def republish_all(self) -> PublishResult:
        self._settle()
        return self._core.republish_all()

    def ensure_present(self) -> bool:
        self._settle()
        return self._core.ensure_present()

    def remove(self, entity_ids: Iterable[str]) -> int:
        return self._core.remove(entity_ids)

    def published(self) -> dict[str, EntityState]:
        return self._core.published()


class _CoreVersion:
    """Home Assistant's version from ``/api/config``, cached: it picks the discovery key."""

    def __init__(self, ha: HomeAssistantClient | None) -> None:
        self._ha = ha
        self._known: tuple[float, str | None] | None = None
        self._lock = threading.Lock()

    def __call__(self) -> str | None:
        with self._lock:
            if self._known and time.monotonic() - self._known[0] < VERSION_CACHE_SECONDS:
                return self._known[1]
        version = None
        if self._ha is not None:
            try:
                found = self._ha.get_config().get("version")
                version = found if isinstance(found, str) else None
            except HomeAssistantError:
                return None  # asked again next time
        with self._lock:
            self._known = (time.monotonic(), version)
        return version


def choose_publishing(
    settings: Settings,
    *,
    ha: HomeAssistantClient,
    supervisor: SupervisorClient,
    accounts: AccountStore,
    personal_id: Callable[[str], str | None],
    configuration_url: str | None,
    probe: Callable[[Broker], Probe] = probe_broker,
) -> Publishing:
    """Pick the mode, build its publisher and start what it needs; never raises."""
    core = CoreApiPublisher(ha, settings.data_dir / "published.json")
    configured = settings.publish_mode
    version = _CoreVersion(ha)

    def lookup() -> BrokerLookup:
        return resolve_broker(settings, supervisor)

    def mqtt_publisher(retire: bool) -> MqttPublisher:
        return MqttPublisher(
            lookup=lookup,
            accounts=lambda: [
                AccountRef(a.name, a.entity_prefix) for a in accounts.list() if a.has_tokens
            ],
            identify=_identifier(personal_id),
            state_path=settings.data_dir / "mqtt.json",
            configuration_url=configuration_url,
            entity_key=lambda: entity_key(version()),
            before_announcing=_core_states_deleted(core),
            home_assistant_up=lambda: _reachable(ha),
            retire=retire,
        )

    reason: Text | None = None
    if configured == CORE_API:
        reason = _l("The option publish_mode is core_api.")
    else:
        found = lookup()
        previous = mqtt_publisher(retire=False)
        if found.broker is None:
            if configured == MQTT:
                return _start_mqtt(previous, configured, found.problem)
            reason = _instead(found.problem)
        elif configured == MQTT:
            return _start_mqtt(previous, configured, None)
        else:
            probe_result = probe(found.broker)
            if probe_result.problem is None or (not probe_result.refused and previous.devices()):
                # A broker that is down for a moment does not undo an earlier MQTT mode.
                return _start_mqtt(previous, configured, probe_result.problem)
            reason = _instead(probe_result.problem)
    _LOGGER.info("Publishing through Home Assistant's core API: %s", reason)
    retiring = mqtt_publisher(retire=True)
    if not retiring.has_leftovers():
        return Publishing(core, CORE_API, configured, reason, None, ha)
    _LOGGER.info("Clearing the devices an earlier MQTT mode announced")
    retiring.start()
    return Publishing(CoreApiAfterMqtt(core, retiring), CORE_API, configured, reason, retiring, ha)


def _instead(problem: Text | None) -> Text:
    return _l(
        "%(problem)s MQTT discovery is tried again when the add-on restarts.",
        problem=problem or _l("No MQTT broker is known."),
    )


def _start_mqtt(publisher: MqttPublisher, configured: str, problem: Text | None) -> Publishing:
    _LOGGER.info("Publishing through MQTT discovery")
    publisher.start()
    return Publishing(publisher, MQTT, configured, problem, publisher)


def _core_states_deleted(core: CoreApiPublisher) -> Callable[[Device], bool]:
    """Before a device is first announced, delete every state the core API may have posted
    under its entity ids (not only the ones published.json remembers: an add-on stopped
    mid-post may not have recorded them). True once they are gone."""

    def delete(device: Device) -> bool:
        own = {d.entity_id(device.prefix) for d in descriptions()}
        try:
            removed = core.remove(sorted(own | (core.published().keys() & own)))
        except HomeAssistantError as err:
            _LOGGER.warning("Waiting to delete the core-API states: %s", err.user_message)
            return False
        if removed:
            _LOGGER.info("Deleted %d core-API states before announcing %s", removed, device.name)
        return True

    return delete


def _identifier(personal_id: Callable[[str], str | None]) -> Callable[[str], str | None]:
    """Oura's user id of an account; a random stable one when Oura will not tell it."""

    def identify(account: str) -> str | None:
        try:
            return personal_id(account) or f"account-{uuid.uuid4().hex}"
        except AccessDenied:
            return f"account-{uuid.uuid4().hex}"
        except Exception as err:
            _LOGGER.info("Oura user id of %s unavailable (%s)", account, type(err).__name__)
            return None

    return identify


def _reachable(ha: HomeAssistantClient) -> bool:
    try:
        ha.get_config()
    except HomeAssistantError:
        return False
    return True
