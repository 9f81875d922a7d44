"""Home Assistant's core REST API (states, services, config) with the add-on's token."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import requests

from oura_addon.errors import AddonError
from oura_addon.http import RetryPolicy, new_session
from oura_addon.i18n import _l
from oura_addon.settings import Settings
from oura_addon.states import EntityState

# Home Assistant is on the local network: fail fast so a down core does not stall a cycle.
LOCAL_POLICY = RetryPolicy(attempts=2, backoff_base=0.5, backoff_max=1.0, timeout=(3.0, 10.0))

# Home Assistant's own rule for entity ids (homeassistant.core.valid_entity_id).
_ENTITY_ID = re.compile(r"^(?!.+__)(?!_)[\da-z_]+(?<!_)\.(?!_)[\da-z_]+(?<!_)$")


def valid_entity_id(entity_id: str) -> bool:
    return bool(_ENTITY_ID.match(entity_id))


class HomeAssistantError(AddonError):
    """Home Assistant could not be reached or refused a request.

    ``user_message`` never holds the token. ``status`` is the HTTP status when Home Assistant
    answered, ``None`` when it did not.
    """

    def __init__(self, user_message: str, status: int | None = None) -> None:
        super().__init__(user_message)
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
        self._session = session or new_session()
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
            raise HomeAssistantError(
                _l("Home Assistant sent an unexpected answer to %(path)s.", path="/config"), 200
            )
        return body

    def set_state(self, state: EntityState) -> None:
        self._check_entity_id(state.entity_id)
        try:
            body = json.dumps(state.to_json(), allow_nan=False)
        except (TypeError, ValueError) as err:
            raise HomeAssistantError(
                _l(
                    "The state of %(entity_id)s cannot be sent as JSON (%(error)s).",
                    entity_id=state.entity_id,
                    error=str(err),
                ),
                400,
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
            raise HomeAssistantError(
                _l("Home Assistant sent an unexpected answer to %(path)s.", path=path), 200
            )
        return EntityState.from_json(entity_id, body)

    def delete_state(self, entity_id: str) -> bool:
        """Remove an entity's state; ``False`` when Home Assistant did not have it."""
        self._check_entity_id(entity_id)
        response = self._request("DELETE", self._state_path(entity_id), missing_ok=True)
        return response.status_code != 404

    def call_service(self, domain: str, service: str, data: Mapping[str, Any]) -> None:
        self._request("POST", f"/services/{quote(domain)}/{quote(service)}", json=dict(data))

    def fire_event(self, event_type: str, data: Mapping[str, Any]) -> None:
        """An event on Home Assistant's bus (automations trigger on its type)."""
        self._request("POST", f"/events/{quote(event_type)}", json=dict(data))

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
                _l(
                    "%(entity_id)r is not a valid Home Assistant entity id "
                    "(lower-case letters, digits and underscores around one dot).",
                    entity_id=entity_id,
                ),
                400,
            )

    def _request(
        self, method: str, path: str, *, missing_ok: bool = False, **kwargs: Any
    ) -> requests.Response:
        if not self._has_token:
            raise HomeAssistantError(
                _l(
                    "The add-on has no Home Assistant token (SUPERVISOR_TOKEN is not set); "
                    "it needs homeassistant_api access."
                )
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
                _l(
                    "Home Assistant is not reachable at %(url)s (%(error)s).",
                    url=self.api_url,
                    error=type(err).__name__,
                )
            ) from None
        status = response.status_code
        if response.ok or (missing_ok and status == 404):
            return response
        if status in (401, 403):
            raise HomeAssistantError(
                _l("Home Assistant refused the add-on's token (%(status)s).", status=status),
                status,
            )
        detail = _message_of(response)
        raise HomeAssistantError(
            _l(
                "Home Assistant answered %(status)s to %(request)s: %(detail)s",
                status=status,
                request=f"{method} {path}",
                detail=detail,
            )
            if detail
            else _l(
                "Home Assistant answered %(status)s to %(request)s.",
                status=status,
                request=f"{method} {path}",
            ),
            status,
        )

    @staticmethod
    def _json(response: requests.Response, path: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise HomeAssistantError(
                _l("Home Assistant sent an unreadable answer to %(path)s.", path=path),
                response.status_code,
            ) from None


def _message_of(response: requests.Response) -> str:
    """Home Assistant's own ``{"message": ...}`` explanation, if it gave one."""
    try:
        body = response.json()
    except ValueError:
        return ""
    message = body.get("message") if isinstance(body, dict) else None
    return str(message)[:200] if message else ""
