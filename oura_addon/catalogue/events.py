"""The moments the add-on announces to Home Assistant, and the account's sync button.

Each moment is an ``event`` entity over MQTT (``event.<prefix>_<key>`` with one event type)
and an event on Home Assistant's bus in core-API mode (``bus_event``). The keys, event types
and bus names are public interfaces automations are written against: never rename them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EventDescription:
    key: str  # event.<prefix>_<key>
    name: str
    event_type: str  # the MQTT event entity's one event type
    endpoint: str  # the Oura endpoint whose documents make the moment happen
    icon: str
    # The attributes every event carries besides ``day`` (absent ones are null).
    attributes: tuple[str, ...]
    domain: str = "event"

    @property
    def bus_event(self) -> str:
        """The event type on Home Assistant's bus in core-API mode."""
        return f"oura_{self.key}_{self.event_type}"

    def entity_id(self, prefix: str) -> str:
        return f"{self.domain}.{prefix}_{self.key}"


NIGHT = EventDescription(
    "night",
    "Night",
    "ready",
    "daily_sleep",
    "mdi:weather-night",
    (
        "sleep_score",
        "readiness_score",
        "total_sleep_duration",
        "sleep_efficiency",
        "average_hrv",
        "lowest_heart_rate",
        "temperature_deviation",
    ),
)
WORKOUT = EventDescription(
    "workout",
    "Workout",
    "recorded",
    "workout",
    "mdi:dumbbell",
    ("id", "activity", "intensity", "calories", "distance", "start", "end", "source"),
)
SESSION = EventDescription(
    "session",
    "Session",
    "recorded",
    "session",
    "mdi:meditation",
    ("id", "type", "mood", "start", "end", "average_heart_rate", "average_hrv"),
)
TAG = EventDescription(
    "tag",
    "Tag",
    "added",
    "enhanced_tag",
    "mdi:tag",
    ("id", "code", "custom_name", "start", "end", "comment"),
)
EVENTS: tuple[EventDescription, ...] = (NIGHT, WORKOUT, SESSION, TAG)
EVENTS_BY_KEY = {event.key: event for event in EVENTS}


@dataclass(frozen=True)
class ButtonDescription:
    key: str
    name: str
    icon: str
    domain: str = "button"

    def entity_id(self, prefix: str) -> str:
        return f"{self.domain}.{prefix}_{self.key}"


SYNC_NOW = ButtonDescription("sync_now", "Sync now", "mdi:cloud-sync")
