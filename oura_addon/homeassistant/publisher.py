"""The publisher that keeps Home Assistant's copy of our entities current.

``Publisher`` is what the scheduler needs from any way of publishing (the core API today,
MQTT next). ``CoreApiPublisher`` implements it over the REST client with change tracking: it
posts only what changed, re-posts whatever Home Assistant did not confirm, remembers what it
sent across add-on restarts (``published.json``) and notices a Home Assistant restart (which
drops every pushed state) by checking one entity.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from oura_addon.homeassistant.rest import HomeAssistantClient, HomeAssistantError, valid_entity_id
from oura_addon.i18n import Text, _l
from oura_addon.states import EntityState
from oura_addon.store.files import CorruptFileError, read_json, write_json

_LOGGER = logging.getLogger(__name__)

PUBLISHED_FORMAT = 1


def _fingerprint(state: EntityState) -> str:
    # JSON normalises what a round trip through published.json would change (tuples, keys).
    return json.dumps(state.to_json(), sort_keys=True, default=str)


@dataclass(frozen=True)
class PublishResult:
    sent: tuple[str, ...]
    unchanged: int


class PublishError(HomeAssistantError):
    """Some states were not confirmed; they stay queued and go out on the next call."""

    def __init__(self, user_message: str, status: int | None, failed: tuple[str, ...]) -> None:
        super().__init__(user_message, status)
        self.failed = failed


class Publisher(Protocol):
    """Keeps Home Assistant's entities equal to the desired states.

    Failures raise ``HomeAssistantError`` (``PublishError`` when some states wait for the
    next call); nothing desired is ever dropped because of one.
    """

    # Read-only here: the scheduler and the panel only read them.
    @property
    def last_error(self) -> str | None: ...

    @property
    def last_error_at(self) -> datetime | None: ...

    @property
    def last_success(self) -> datetime | None: ...

    def publish(self, desired: Mapping[str, EntityState]) -> PublishResult:
        """Send what differs from what Home Assistant confirmed, and anything still pending."""
        ...

    def republish_all(self) -> PublishResult:
        """Send every state held again (after an add-on or Home Assistant restart)."""
        ...

    def ensure_present(self) -> bool:
        """Restore the states if Home Assistant lost them; True when it restored."""
        ...

    def remove(self, entity_ids: Iterable[str]) -> int:
        """Delete entities from Home Assistant and forget them; how many it had."""
        ...

    def published(self) -> dict[str, EntityState]:
        """The latest state of every entity managed, confirmed or not."""
        ...


class PublishStatus:
    """The status every publisher keeps for the panel; subclasses set ``_lock`` and ``_clock``."""

    _lock: threading.Lock
    _clock: Callable[[], datetime]
    last_error: Text | None = None
    last_error_at: datetime | None = None
    last_success: datetime | None = None

    def _succeeded(self) -> None:
        with self._lock:
            self.last_success = self._clock()
            self.last_error = None

    def _failed(self, message: str) -> None:
        with self._lock:
            self.last_error = message if isinstance(message, Text) else Text(message)
            self.last_error_at = self._clock()


class CoreApiPublisher(PublishStatus):
    """Keeps Home Assistant's copy of our entities equal to the latest desired states.

    ``_confirmed`` holds what Home Assistant acknowledged, oldest acknowledgement first;
    ``_pending`` what it still has to receive; ``_removing`` the entities it must still
    delete (Home Assistant was unreachable when their account went). All three are persisted
    together in ``state_path`` so an add-on restart can re-post everything before any Oura
    call, and no removed account's entities linger.
    """

    def __init__(
        self,
        client: HomeAssistantClient,
        state_path: Path,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._client = client
        self._path = state_path
        self._clock = clock
        self._io = threading.RLock()  # one conversation with Home Assistant at a time
        self._lock = threading.Lock()  # the maps and status, held briefly
        self._confirmed: OrderedDict[str, EntityState] = OrderedDict()
        self._pending, self._removing = self._load()

    # -- what the scheduler calls --------------------------------------------------------

    def publish(self, desired: Mapping[str, EntityState]) -> PublishResult:
        """Send the desired states that differ from what Home Assistant confirmed.

        States still pending from an earlier failure go out too. Raises ``PublishError``
        when anything was not confirmed; nothing is lost, the next call retries it.
        """
        with self._io:
            with self._lock:
                self._removing.difference_update(desired)  # the account came back
                for entity_id, state in desired.items():
                    confirmed = self._confirmed.get(entity_id)
                    if confirmed is None or _fingerprint(confirmed) != _fingerprint(state):
                        self._pending[entity_id] = state
                        self._confirmed.pop(entity_id, None)
                batch = dict(self._pending)
            self._retry_removals()
            unchanged = len(desired.keys() - batch.keys())
            return self._flush(batch, unchanged)

    def republish_all(self) -> PublishResult:
        """Post every state we hold again (after an add-on or Home Assistant restart)."""
        with self._io:
            with self._lock:
                self._pending.update(self._confirmed)
                self._confirmed.clear()
                batch = dict(self._pending)
            self._retry_removals()
            return self._flush(batch, 0)

    def ensure_present(self) -> bool:
        """Cheaply check that Home Assistant still holds our states; restore them if not.

        Checks the entity confirmed longest ago: if it is there, everything confirmed
        after it is too. A 404 means Home Assistant restarted (pushed states do not
        survive that), so everything is posted again. Returns True when it restored.
        """
        with self._io:
            with self._lock:
                sentinel = next(iter(self._confirmed), None)
            if sentinel is None:
                return False
            try:
                present = self._client.get_state(sentinel) is not None
            except HomeAssistantError as err:
                self._failed(err.user_message)
                raise
            if present:
                self._retry_removals()
                self._succeeded()
                return False
            _LOGGER.info(
                "Home Assistant lost %s (it restarted?); posting all states again", sentinel
            )
            self.republish_all()
            return True

    def remove(self, entity_ids: Iterable[str]) -> int:
        """Delete entities from Home Assistant and forget them; returns how many it had.

        When Home Assistant cannot be reached the deletions are remembered (also across an
        add-on restart) and sent with the next successful conversation; the error is raised.
        """
        with self._io:
            with self._lock:
                for entity_id in entity_ids:
                    self._confirmed.pop(entity_id, None)
                    self._pending.pop(entity_id, None)
                    self._removing.add(entity_id)
            self._save()
            try:
                removed = self._send_removals()
            except HomeAssistantError as err:
                self._failed(err.user_message)
                raise
            self._succeeded()
            return removed

    # -- what the panel reads ------------------------------------------------------------

    def published(self) -> dict[str, EntityState]:
        """The latest state of every entity we manage, confirmed or not."""
        with self._lock:
            return {**self._confirmed, **self._pending}

    # -- internals -------------------------------------------------------------------------

    def _send_removals(self) -> int:
        """Delete every entity still to be removed; raises when Home Assistant is away."""
        with self._lock:
            removing = sorted(self._removing)
        removed = 0
        try:
            for entity_id in removing:
                try:
                    removed += self._client.delete_state(entity_id)
                except HomeAssistantError as err:
                    if not err.concerns_one_entity:
                        raise
                with self._lock:
                    self._removing.discard(entity_id)
        finally:
            if removing:
                self._save()
        return removed

    def _retry_removals(self) -> None:
        """Send removals left from a failure; a failure again is reported by what follows."""
        with self._lock:
            if not self._removing:
                return
        try:
            removed = self._send_removals()
        except HomeAssistantError as err:
            _LOGGER.debug("Removals wait for Home Assistant: %s", err)
            return
        _LOGGER.info("Removed %s entities of a removed account from Home Assistant", removed)

    def _flush(self, batch: Mapping[str, EntityState], unchanged: int) -> PublishResult:
        if not batch:
            # Nothing was said to Home Assistant, so nothing is learnt about its status.
            return PublishResult((), unchanged)
        sent: list[str] = []
        rejected: list[tuple[str, HomeAssistantError]] = []
        fatal: HomeAssistantError | None = None
        for entity_id, state in batch.items():
            try:
                self._client.set_state(state)
            except HomeAssistantError as err:
                if not err.concerns_one_entity:
                    fatal = err  # unreachable or refused: the rest would fail the same way
                    break
                rejected.append((entity_id, err))
                continue
            with self._lock:
                # Only if nothing newer was queued for it meanwhile.
                if self._pending.get(entity_id) is state:
                    del self._pending[entity_id]
                    self._confirmed[entity_id] = state
                    self._confirmed.move_to_end(entity_id)
            sent.append(entity_id)
        if sent or rejected or fatal:
            self._save()
        if fatal is None and not rejected:
            self._succeeded()
            return PublishResult(tuple(sent), unchanged)
        with self._lock:
            failed = tuple(e for e in batch if e in self._pending)
        if fatal is not None:
            message = _l(
                "%(why)s %(count)s state(s) will be sent again.",
                why=fatal.user_message,
                count=len(failed),
            )
            status = fatal.status
        else:
            names = ", ".join(e for e, _ in rejected[:3])
            message = _l(
                "Home Assistant rejected %(count)s state(s) (%(names)s): %(why)s",
                count=len(rejected),
                names=names,
                why=rejected[0][1].user_message,
            )
            status = rejected[0][1].status
        self._failed(message)
        raise PublishError(message, status, failed)

    def _load(self) -> tuple[dict[str, EntityState], set[str]]:
        """The states to post again and the entities still to delete, from ``state_path``."""
        try:
            stored = read_json(self._path, use_backup=True)
        except CorruptFileError as err:
            _LOGGER.warning("%s; starting with no published states", err)
            return {}, set()
        if stored is None:
            return {}, set()
        states = stored.get("states") if isinstance(stored, dict) else None
        if not isinstance(states, dict):
            _LOGGER.warning("%s has an unexpected shape; starting empty", self._path.name)
            return {}, set()
        loaded: dict[str, EntityState] = {}
        for entity_id, body in states.items():
            if isinstance(entity_id, str) and isinstance(body, dict) and valid_entity_id(entity_id):
                loaded[entity_id] = EntityState.from_json(entity_id, body)
        removing = stored.get("removing")  # absent in files written before it existed
        gone = {
            e
            for e in (removing if isinstance(removing, list) else [])
            if isinstance(e, str) and valid_entity_id(e)
        }
        return loaded, gone - loaded.keys()

    def _save(self) -> None:
        with self._lock:
            states = {e: s.to_json() for e, s in {**self._confirmed, **self._pending}.items()}
            removing = sorted(self._removing)
        try:
            write_json(
                self._path,
                {"format": PUBLISHED_FORMAT, "states": states, "removing": removing},
                keep_backup=True,
            )
        except (OSError, TypeError, ValueError) as err:
            # Memory still holds everything; only a restart would lose the record.
            _LOGGER.warning("Could not save %s: %s", self._path.name, err)
