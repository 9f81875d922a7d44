"""Each account's latest sign-in outcome (``/data/sign_in.json``): waiting, failed, expired
or cancelled, kept until the account connects or the user dismisses it.

One versioned document ``{"accounts": {name: outcome}}``; an outcome is a plain JSON object
(its sentence stored with ``i18n.text_to_json``) that ``web/sign_in.py`` writes and reads.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from oura_addon.store.files import CorruptFileError, VersionedFile

_LOGGER = logging.getLogger(__name__)

FILE_NAME = "sign_in.json"


class SignInStore:
    def __init__(self, data_dir: Path) -> None:
        self._file = VersionedFile(Path(data_dir) / FILE_NAME)
        self._lock = threading.Lock()

    def _all(self) -> dict[str, Any]:
        try:
            document = self._file.read()
        except CorruptFileError as err:  # an outcome is worth less than a working panel
            _LOGGER.warning("Sign-in outcomes unreadable, forgetting them: %s", err)
            return {}
        accounts = document.get("accounts") if isinstance(document, Mapping) else None
        return dict(accounts) if isinstance(accounts, Mapping) else {}

    def get(self, name: str) -> dict[str, Any] | None:
        with self._lock:
            outcome = self._all().get(name)
        return dict(outcome) if isinstance(outcome, Mapping) else None

    def put(self, name: str, outcome: Mapping[str, Any]) -> None:
        with self._lock:
            accounts = self._all()
            accounts[name] = dict(outcome)
            self._file.write({"accounts": accounts})

    def update(
        self, name: str, change: Callable[[dict[str, Any] | None], dict[str, Any] | None]
    ) -> dict[str, Any] | None:
        """Replace the outcome with ``change(current)`` (None removes it), atomically."""
        with self._lock:
            accounts = self._all()
            current = accounts.get(name)
            changed = change(dict(current) if isinstance(current, Mapping) else None)
            if changed is None:
                if accounts.pop(name, None) is not None:
                    self._file.write({"accounts": accounts})
                return None
            accounts[name] = dict(changed)
            self._file.write({"accounts": accounts})
            return dict(changed)

    def clear(self, name: str) -> None:
        with self._lock:
            accounts = self._all()
            if accounts.pop(name, None) is not None:
                self._file.write({"accounts": accounts})
