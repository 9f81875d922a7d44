"""The reconnect notification speaks the language Home Assistant reports in /api/config."""

from __future__ import annotations

from typing import Any

from oura_addon.homeassistant import HomeAssistantError
from oura_addon.i18n import _l
from oura_addon.scheduling.notifier import ReconnectNotifier


class HomeAssistant:
    def __init__(self, config: dict[str, Any] | Exception) -> None:
        self.config = config
        self.created: list[tuple[str, str, str]] = []

    def get_config(self) -> dict[str, Any]:
        if isinstance(self.config, Exception):
            raise self.config
        return self.config

    def create_notification(self, notification_id: str, title: str, message: str) -> None:
        self.created.append((notification_id, title, message))


REASON = _l("Start again: click Connect in the add-on panel.")


def notify(config: dict[str, Any] | Exception) -> tuple[str, str, str]:
    ha = HomeAssistant(config)
    ReconnectNotifier(ha, "/hassio/ingress/oura").notify("oura", "oura", REASON)  # type: ignore[arg-type]
    (created,) = ha.created
    return created


def test_the_notification_is_in_home_assistants_language() -> None:
    _, title, message = notify({"language": "de", "time_zone": "Europe/Berlin"})
    assert title == "Oura-Konto muss neu verbunden werden"
    assert "**oura**" in message and "](/hassio/ingress/oura)" in message
    assert "Beginne neu: Klicke im Panel des Add-ons auf „Verbinden“." in message  # the reason too


def test_a_regional_language_uses_its_base_and_an_unshipped_one_english() -> None:
    assert notify({"language": "fr-CA"})[1] == "Le compte Oura doit être reconnecté"
    assert notify({"language": "pt-BR"})[1] == "Oura account needs reconnecting"


def test_home_assistant_not_saying_its_language_still_gets_the_notification() -> None:
    notification_id, title, message = notify(HomeAssistantError("down"))
    assert notification_id == "oura_reconnect"
    assert title == "Oura account needs reconnecting"
    assert "click **Reconnect**" in message
