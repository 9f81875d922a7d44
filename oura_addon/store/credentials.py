"""The Oura application's client id and secret: from the add-on options or the panel.

Options win when both values are set there; otherwise what was entered in the panel and
stored in ``<data_dir>/app.json`` (0600, with a backup) is used.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from oura_addon.errors import InvalidInput
from oura_addon.i18n import _l
from oura_addon.oura.implementations import PORTALS
from oura_addon.oura.tokens import AppCredentials
from oura_addon.store.files import (
    CorruptFileError,
    delete_with_backup,
    read_versioned,
    write_versioned,
)

_LOGGER = logging.getLogger(__name__)

SOURCE_OPTIONS = "options"
SOURCE_PANEL = "panel"

UNREADABLE_MESSAGE = _l("The stored client credentials are unreadable; enter them again.")
PARTIAL_OPTIONS_MESSAGE = _l(
    "The add-on configuration sets only one of client_id and client_secret; "
    "set both there, or clear both and enter them in the panel."
)


def _clean(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _portal(value: object) -> str | None:
    return value if isinstance(value, str) and value in PORTALS else None


def _parse_credentials(raw: Any) -> AppCredentials:
    client_id = _clean(raw.get("client_id")) if isinstance(raw, dict) else ""
    secret = _clean(raw.get("client_secret")) if isinstance(raw, dict) else ""
    if not client_id or not secret:
        raise ValueError("lacks a client id or secret")
    return AppCredentials(client_id, secret, _portal(raw.get("portal")))


class AppCredentialsStore:
    def __init__(
        self,
        data_dir: Path,
        options_client_id: str | None,
        options_secret: str | None,
        *,
        options_portal: str | None = None,
        on_secret: Callable[[str], None] | None = None,
    ) -> None:
        self._path = Path(data_dir) / "app.json"
        self._options_client_id = _clean(options_client_id)
        self._options_secret = _clean(options_secret)
        self._options_portal = _portal(options_portal)
        self._on_secret = on_secret
        self._lock = threading.Lock()
        if self._options_secret and on_secret:
            on_secret(self._options_secret)

    @property
    def path(self) -> Path:
        return self._path

    def _options(self) -> AppCredentials | None:
        if self._options_client_id and self._options_secret:
            return AppCredentials(
                self._options_client_id, self._options_secret, self._options_portal
            )
        return None

    def _read_panel(self) -> tuple[AppCredentials | None, str | None]:
        """The panel-entered credentials and, when they cannot be used, why."""
        try:
            newest = read_versioned(self._path, _parse_credentials)
        except CorruptFileError as err:
            _LOGGER.warning("Stored client credentials are unusable: %s", err)
            return None, UNREADABLE_MESSAGE
        if newest is None:
            return None, None
        if newest.problems:
            _LOGGER.warning("%s; using %s", "; ".join(newest.problems), newest.source_label)
        if self._on_secret:
            self._on_secret(newest.value.client_secret)
        return newest.value, None

    def get(self) -> AppCredentials | None:
        """The credentials to use, or None when none are configured."""
        options = self._options()
        if options is not None:
            return options
        return self._read_panel()[0]

    def source(self) -> str | None:
        """Where ``get()`` takes its credentials from: "options", "panel" or None."""
        if self._options() is not None:
            return SOURCE_OPTIONS
        return SOURCE_PANEL if self._read_panel()[0] is not None else None

    def save(self, client_id: str, client_secret: str | None, portal: str | None = None) -> None:
        """Store credentials entered in the panel.

        An empty secret keeps the stored one (the panel never echoes it back), as long as
        the client id is unchanged; so does a missing ``portal``. Raises InvalidInput with a
        message for the form.
        """
        client_id = _clean(client_id)
        client_secret = _clean(client_secret)
        if not client_id:
            raise InvalidInput(_l("Enter the client id of your Oura application."))
        if any(c.isspace() for c in client_id) or len(client_id) > 256:
            raise InvalidInput(_l("The client id looks wrong: copy it again from the Oura portal."))
        if portal is not None and portal not in PORTALS:
            raise InvalidInput(_l("Say where the Oura app was created: new or classic."))
        with self._lock:
            stored, _ = self._read_panel()
            if not client_secret:
                if stored is None:
                    raise InvalidInput(_l("Enter the client secret of your Oura application."))
                if stored.client_id != client_id:
                    raise InvalidInput(
                        _l("Enter the client secret that belongs to the new client id.")
                    )
                client_secret = stored.client_secret
            document = {"client_id": client_id, "client_secret": client_secret}
            if portal is None and stored is not None and stored.client_id == client_id:
                portal = stored.portal
            if portal is not None:
                document["portal"] = portal
            if self._on_secret:
                self._on_secret(client_secret)
            write_versioned(self._path, document)
        _LOGGER.info("Client credentials saved from the panel")

    def clear(self) -> None:
        """Forget the panel-entered credentials (options are not affected)."""
        with self._lock:
            delete_with_backup(self._path)
        _LOGGER.info("Client credentials entered in the panel were removed")

    def set_portal(self, portal: str) -> None:
        """Record the portal Oura's answers showed (panel credentials only)."""
        if portal not in PORTALS:
            return
        with self._lock:
            stored, _ = self._read_panel()
            if stored is None or stored.portal == portal or self._options() is not None:
                return
            document = {
                "client_id": stored.client_id,
                "client_secret": stored.client_secret,
                "portal": portal,
            }
            write_versioned(self._path, document)

    def describe(self) -> dict[str, Any]:
        """A summary safe to render on a page: never the secret."""
        panel, panel_problem = self._read_panel()
        options = self._options()
        problems: list[str] = []
        if bool(self._options_client_id) != bool(self._options_secret):
            problems.append(PARTIAL_OPTIONS_MESSAGE)
        if panel_problem and options is None:
            problems.append(panel_problem)
        chosen = options or panel
        return {
            "configured": chosen is not None,
            "client_id": chosen.client_id if chosen else None,
            "source": (SOURCE_OPTIONS if options else SOURCE_PANEL) if chosen else None,
            "has_secret": bool(chosen and chosen.client_secret),
            "portal": chosen.portal if chosen else None,
            "panel_client_id": panel.client_id if panel else None,
            "problems": problems,
        }
