"""Home Assistant's core API, and the publisher that keeps our entities there current.

``HomeAssistantClient`` is the thin REST client (states, services, config). ``Publisher``
adds change tracking on top: it posts only what changed, re-posts whatever Home Assistant
did not confirm, remembers what it sent across add-on restarts (``published.json``) and
notices a Home Assistant restart (which drops every pushed state) by checking one entity.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

from . import __version__
from .http import RetryPolicy, new_session
from .settings import Settings
from .states import EntityState
from .storage import CorruptFileError, read_json, write_json

_LOGGER = logging.getLogger(__name__)

# Home Assistant is on the local network: fail fast so a down core does not stall a cycle.
LOCAL_POLICY = RetryPolicy(attempts=2, backoff_base=0.5, backoff_max=1.0, timeout=(3.0, 10.0))

# Home Assistant's own rule for entity ids (homeassistant.core.valid_entity_id).
_ENTITY_ID = re.compile(r"^(?!.+__)(?!_)[\da-z_]+(?<!_)\.(?!_)[\da-z_]+(?<!_)$")

PUBLISHED_FORMAT = 1


def valid_entity_id(entity_id: str) -> bool:
    return bool(_ENTITY_ID.match(entity_id))


class HomeAssistantError(Exception):
    """Home Assistant could not be reached or refused a request.

    ``user_message`` is a plain sentence safe to show and log: it never holds the token.
    ``status`` is the HTTP status when Home Assistant answered, ``None`` when it did not.
    """

    def __init__(self, user_message: str, status: int | None = None) -> None:
        super().__init__(user_message)
        self.user_message = user_message
        self.status = status

    @property
    def concerns_one_entity(self) -> bool:
        """A 400 (from Home Assistant, or our own check before sending) rejects one
        request's content; other entities may still go through."""
        return self.status == 400


class HomeAssistantClient:
    """Home Assistant's core REST API with the add-on's token."""

    def __init__(
        self,
        api_url: str,
        token: str | None,
        session: requests.Session | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self._has_token = bool(token)
        self._session = session or new_session(f"oura-addon/{__version__}")
        if token:
            self._session.headers["Authorization"] = f"Bearer {token}"
        self._policy = policy or LOCAL_POLICY

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        session: requests.Session | None = None,
        policy: RetryPolicy | None = None,
    ) -> HomeAssistantClient:
        return cls(settings.ha_api_url, settings.supervisor_token, session, policy)

    def __repr__(self) -> str:
        return f"HomeAssistantClient({self.api_url!r})"

    # -- the API ---------------------------------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        """Home Assistant's configuration: ``time_zone``, ``unit_system``, ``state``..."""
        body = self._json(self._request("GET", "/config"), "/config")
        if not isinstance(body, dict):
            raise HomeAssistantError("Home Assistant sent an unexpected answer to /config.", 200)
        return body

    def set_state(self, state: EntityState) -> None:
        self._check_entity_id(state.entity_id)
        try:
            body = json.dumps(state.to_json(), allow_nan=False)
        except (TypeError, ValueError) as err:
            raise HomeAssistantError(
                f"The state of {state.entity_id} cannot be sent as JSON ({err}).", 400
            ) from None
        self._request(
            "POST",
            self._state_path(state.entity_id),
            data=body,
            headers={"Content-Type": "application/json"},
        )

    def get_state(self, entity_id: str) -> EntityState | None:
        self._check_entity_id(entity_id)
        path = self._state_path(entity_id)
        response = self._request("GET", path, missing_ok=True)
        if response.status_code == 404:
            return None
        body = self._json(response, path)
        if not isinstance(body, dict):
            raise HomeAssistantError(f"Home Assistant sent an unexpected answer to {path}.", 200)
        return EntityState.from_json(entity_id, body)

    def delete_state(self, entity_id: str) -> bool:
        """Remove an entity's state; ``False`` when Home Assistant did not have it."""
        self._check_entity_id(entity_id)
        response = self._request("DELETE", self._state_path(entity_id), missing_ok=True)
        return response.status_code != 404

    def call_service(self, domain: str, service: str, data: Mapping[str, Any]) -> None:
        self._request("POST", f"/services/{quote(domain)}/{quote(service)}", json=dict(data))

    def create_notification(self, notification_id: str, title: str, message: str) -> None:
        self.call_service(
            "persistent_notification",
            "create",
            {"notification_id": notification_id, "title": title, "message": message},
        )

    def dismiss_notification(self, notification_id: str) -> None:
        self.call_service(
            "persistent_notification", "dismiss", {"notification_id": notification_id}
        )

    # -- plumbing --------------------------------------------------------------------------

    @staticmethod
    def _state_path(entity_id: str) -> str:
        return f"/states/{quote(entity_id, safe='')}"

    @staticmethod
    def _check_entity_id(entity_id: str) -> None:
        if not valid_entity_id(entity_id):
            raise HomeAssistantError(
                f"{entity_id!r} is not a valid Home Assistant entity id "
                "(lower-case letters, digits and underscores around one dot).",
                400,
            )

    def _request(
        self, method: str, path: str, *, missing_ok: bool = False, **kwargs: Any
    ) -> requests.Response:
        if not self._has_token:
            raise HomeAssistantError(
                "The add-on has no Home Assistant token (SUPERVISOR_TOKEN is not set); "
                "it needs homeassistant_api access."
            )
        try:
            response = self._policy.send(
                self._session,
                method,
                self.api_url + path,
                label=f"Home Assistant {method} {path}",
                **kwargs,
            )
        except requests.RequestException as err:
            raise HomeAssistantError(
                f"Home Assistant is not reachable at {self.api_url} ({type(err).__name__})."
            ) from None
        status = response.status_code
        if response.ok or (missing_ok and status == 404):
            return response
        if status in (401, 403):
            raise HomeAssistantError(
                f"Home Assistant refused the add-on's token ({status}).", status
            )
        detail = _message_of(response)
        raise HomeAssistantError(
            f"Home Assistant answered {status} to {method} {path}"
            + (f": {detail}" if detail else "."),
            status,
        )

    @staticmethod
    def _json(response: requests.Response, path: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise HomeAssistantError(
                f"Home Assistant sent an unreadable answer to {path}.", response.status_code
            ) from None


def _message_of(response: requests.Response) -> str:
    """Home Assistant's own ``{"message": ...}`` explanation, if it gave one."""
    try:
        body = response.json()
    except ValueError:
        return ""
    message = body.get("message") if isinstance(body, dict) else None
    return str(message)[:200] if message else ""


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


class Publisher:
    """Keeps Home Assistant's copy of our entities equal to the latest desired states.

    ``_confirmed`` holds what Home Assistant acknowledged, oldest acknowledgement first;
    ``_pending`` what it still has to receive. Both are persisted together in
    ``state_path`` so an add-on restart can re-post everything before any Oura call.
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
        self._pending: dict[str, EntityState] = self._load()
        self.last_error: str | None = None
        self.last_error_at: datetime | None = None
        self.last_success: datetime | None = None

    # -- what the scheduler calls --------------------------------------------------------

    def publish(self, desired: Mapping[str, EntityState]) -> PublishResult:
        """Send the desired states that differ from what Home Assistant confirmed.

        States still pending from an earlier failure go out too. Raises ``PublishError``
        when anything was not confirmed; nothing is lost, the next call retries it.
        """
        with self._io:
            with self._lock:
                for entity_id, state in desired.items():
                    confirmed = self._confirmed.get(entity_id)
                    if confirmed is None or _fingerprint(confirmed) != _fingerprint(state):
                        self._pending[entity_id] = state
                        self._confirmed.pop(entity_id, None)
                batch = dict(self._pending)
            unchanged = len(desired.keys() - batch.keys())
            return self._flush(batch, unchanged)

    def republish_all(self) -> PublishResult:
        """Post every state we hold again (after an add-on or Home Assistant restart)."""
        with self._io:
            with self._lock:
                self._pending.update(self._confirmed)
                self._confirmed.clear()
                batch = dict(self._pending)
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
                self._succeeded()
                return False
            _LOGGER.info(
                "Home Assistant lost %s (it restarted?); posting all states again", sentinel
            )
            self.republish_all()
            return True

    def remove(self, entity_ids: Iterable[str]) -> int:
        """Delete entities from Home Assistant and forget them; returns how many it had."""
        entity_ids = list(entity_ids)
        with self._io:
            with self._lock:
                for entity_id in entity_ids:
                    self._confirmed.pop(entity_id, None)
                    self._pending.pop(entity_id, None)
            self._save()
            removed = 0
            for entity_id in entity_ids:
                try:
                    removed += self._client.delete_state(entity_id)
                except HomeAssistantError as err:
                    if err.concerns_one_entity:
                        continue
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
            message = f"{fatal.user_message} {len(failed)} state(s) will be sent again."
            status = fatal.status
        else:
            names = ", ".join(e for e, _ in rejected[:3])
            message = (
                f"Home Assistant rejected {len(rejected)} state(s) ({names}): "
                f"{rejected[0][1].user_message}"
            )
            status = rejected[0][1].status
        self._failed(message)
        raise PublishError(message, status, failed)

    def _succeeded(self) -> None:
        with self._lock:
            self.last_success = self._clock()
            self.last_error = None

    def _failed(self, message: str) -> None:
        with self._lock:
            self.last_error = message
            self.last_error_at = self._clock()

    def _load(self) -> dict[str, EntityState]:
        try:
            stored = read_json(self._path, use_backup=True)
        except CorruptFileError as err:
            _LOGGER.warning("%s; starting with no published states", err)
            return {}
        if stored is None:
            return {}
        states = stored.get("states") if isinstance(stored, dict) else None
        if not isinstance(states, dict):
            _LOGGER.warning("%s has an unexpected shape; starting empty", self._path.name)
            return {}
        loaded: dict[str, EntityState] = {}
        for entity_id, body in states.items():
            if isinstance(entity_id, str) and isinstance(body, dict) and valid_entity_id(entity_id):
                loaded[entity_id] = EntityState.from_json(entity_id, body)
        return loaded

    def _save(self) -> None:
        with self._lock:
            states = {e: s.to_json() for e, s in {**self._confirmed, **self._pending}.items()}
        try:
            write_json(
                self._path,
                {"format": PUBLISHED_FORMAT, "states": states},
                keep_backup=True,
            )
        except (OSError, TypeError, ValueError) as err:
            # Memory still holds everything; only a restart would lose the record.
            _LOGGER.warning("Could not save %s: %s", self._path.name, err)
