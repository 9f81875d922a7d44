"""Everything that talks to Home Assistant and its Supervisor.

- ``rest``: the core REST API client (states, services, config).
- ``websocket``: one authenticated websocket session (numbered commands and their results).
- ``publisher``: the ``Publisher`` interface and the change-tracking core-API publisher.
- ``statistics``: past days imported into long-term statistics over the websocket.
- ``supervisor``: the Supervisor API (add-on info and the panel's address).
- ``discovery``: MQTT discovery topics and payloads, one device per Oura account (pure).
- ``broker``: which MQTT broker to use (options, else the Supervisor's mqtt service).
- ``mqtt``: the MQTT publisher (retained discovery and states, availability, removals).
"""

from __future__ import annotations

from oura_addon.homeassistant.publisher import (
    CoreApiPublisher,
    Publisher,
    PublishError,
    PublishResult,
)
from oura_addon.homeassistant.rest import HomeAssistantClient, HomeAssistantError, valid_entity_id
from oura_addon.homeassistant.statistics import StatisticsImporter
from oura_addon.homeassistant.supervisor import SupervisorClient, panel_path
from oura_addon.homeassistant.websocket import WebSocketError

__all__ = [
    "CoreApiPublisher",
    "HomeAssistantClient",
    "HomeAssistantError",
    "PublishError",
    "PublishResult",
    "Publisher",
    "StatisticsImporter",
    "SupervisorClient",
    "WebSocketError",
    "panel_path",
    "valid_entity_id",
]
