"""The "reconnect this account" notification in Home Assistant: raised once, dismissed once.

It remembers which accounts it notified, so a failing account does not raise a new
notification every cycle, and a removed account's memory goes with it (``forget``).
"""

from __future__ import annotations

import logging
import threading

from oura_addon.homeassistant import HomeAssistantClient, HomeAssistantError
from oura_addon.i18n import Catalogues, Translator, _l

_LOGGER = logging.getLogger(__name__)

TITLE = _l("Oura account needs reconnecting")


def reconnect_notification(
    name: str, reason: str, panel_url: str, translator: Translator
) -> tuple[str, str]:
    """The notification's title and Markdown text in ``translator``'s language."""
    message = _l(
        "The Oura account **%(name)s** lost its authorization: %(reason)s\n\n"
        "Open the [Oura panel](%(url)s) and click **Reconnect**.",
        name=name,
        reason=reason,
        url=panel_url,
    )
    return translator.text(TITLE), translator.text(message)


def notification_id(prefix: str) -> str:
    return f"{prefix}_reconnect"


class ReconnectNotifier:
    def __init__(
        self,
        ha: HomeAssistantClient | None,
        panel_url: str,
        catalogues: Catalogues | None = None,
    ) -> None:
        self._ha = ha
        self._panel_url = panel_url
        self._catalogues = catalogues or Catalogues()
        self._lock = threading.Lock()
        self._notified: set[str] = set()

    def is_notified(self, prefix: str) -> bool:
        with self._lock:
            return prefix in self._notified

    def notify(self, name: str, prefix: str, reason: str) -> None:
        """Tell the user the account lost its authorization, unless already told."""
        with self._lock:
            if prefix in self._notified:
                return
            self._notified.add(prefix)
        if self._ha is None:
            return
        title, message = reconnect_notification(
            name, reason, self._panel_url, self._catalogues.translator(self._language())
        )
        try:
            self._ha.create_notification(notification_id(prefix), title, message)
        except HomeAssistantError as err:
            self.forget(prefix)  # try again next cycle
            _LOGGER.warning("Could not create the reconnect notification: %s", err.user_message)

    def _language(self) -> str | None:
        """The language Home Assistant reports (its /api/config); English when it cannot say.
        Asked per notification: they are rare, and the user may switch languages."""
        if self._ha is None:
            return None
        try:
            language = self._ha.get_config().get("language")
        except HomeAssistantError as err:
            _LOGGER.debug("Home Assistant's language unavailable: %s", err.user_message)
            return None
        return language if isinstance(language, str) else None

    def dismiss(self, prefix: str) -> None:
        if self._ha is None:
            return
        try:
            self._ha.dismiss_notification(notification_id(prefix))
        except HomeAssistantError as err:
            _LOGGER.warning("Could not dismiss the reconnect notification: %s", err.user_message)
            return
        self.forget(prefix)

    def forget(self, prefix: str) -> None:
        with self._lock:
            self._notified.discard(prefix)
