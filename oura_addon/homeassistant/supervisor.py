"""The Supervisor's API: what it says about this add-on (its ingress panel's path) and the
services it offers (the MQTT broker's address and a user made for the add-on)."""

from __future__ import annotations

import logging
from typing import Any

import requests

from oura_addon.http import new_session
from oura_addon.i18n import _l
from oura_addon.settings import Settings

_LOGGER = logging.getLogger(__name__)

DASHBOARD_PATH = "/hassio/dashboard"
SUPERVISOR_TIMEOUT = 5.0


def panel_path(addon_info: object) -> str:
    """The ingress panel's path from the Supervisor's ``/addons/self/info`` answer."""
    data = addon_info.get("data") if isinstance(addon_info, dict) else None
    slug = data.get("slug") if isinstance(data, dict) else None
    return f"/hassio/ingress/{slug}" if isinstance(slug, str) and slug else DASHBOARD_PATH


class SupervisorClient:
    """The Supervisor's REST API with the add-on's token; every answer is optional."""

    def __init__(
        self, supervisor_url: str, token: str | None, session: requests.Session | None = None
    ) -> None:
        self.url = supervisor_url.rstrip("/")
        self._token = token
        self._session = session or new_session()

    @classmethod
    def from_settings(cls, settings: Settings) -> SupervisorClient:
        return cls(settings.supervisor_url, settings.supervisor_token)

    def __repr__(self) -> str:
        return f"SupervisorClient({self.url!r})"

    def addon_info(self) -> Any:
        """``GET /addons/self/info`` as JSON, or None when the Supervisor gave no usable answer."""
        if not self._token:
            return None
        try:
            response = self._session.get(
                f"{self.url}/addons/self/info",
                headers={"Authorization": f"Bearer {self._token}"},
                timeout=SUPERVISOR_TIMEOUT,
            )
            return response.json() if response.ok else None
        except (OSError, ValueError) as err:  # requests' errors are OSErrors; bad JSON too
            _LOGGER.debug("The Supervisor's add-on info is unavailable: %s", type(err).__name__)
            return None

    def mqtt_service(self) -> tuple[int | None, Any]:
        """``GET /services/mqtt``: (status, JSON body); (None, reason) when unreachable.

        400 means no broker add-on provides the service."""
        if not self._token:
            return None, _l("the add-on has no Supervisor token")
        try:
            response = self._session.get(
                f"{self.url}/services/mqtt",
                headers={"Authorization": f"Bearer {self._token}"},
                timeout=SUPERVISOR_TIMEOUT,
            )
        except OSError as err:
            return None, type(err).__name__
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, None

    def panel_url(self) -> str:
        """Where the reconnect notification sends the user: the add-on's ingress panel."""
        return panel_path(self.addon_info())
