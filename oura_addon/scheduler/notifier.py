"""The "reconnect this account" notification in Home Assistant: raised once, dismissed once.

It remembers which accounts it notified, so a failing account does not raise a new
notification every cycle, and a removed account's memory goes with it (``forget``).
"""

from __future__ import annotations

import logging
import threading

from ..homeassistant import HomeAssistantClient, HomeAssistantError

_LOGGER = logging.getLogger(__name__)


def notification_id(prefix: str) -> str:
    return f"{prefix}_reconnect"


class ReconnectNotifier:
    def __init__(self, ha: HomeAssistantClient | None, panel_url: str) -> None:
        self._ha = ha
        self._panel_url = panel_url
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
        try:
            self._ha.create_notification(
                notification_id(prefix),
                "Oura account needs reconnecting",
                f"The Oura account **{name}** lost its authorization: {reason}\n\n"
                f"Open the [Oura panel]({self._panel_url}) and click **Reconnect**.",
            )
        except HomeAssistantError as err:
            self.forget(prefix)  # try again next cycle
            _LOGGER.warning("Could not create the reconnect notification: %s", err.user_message)

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
