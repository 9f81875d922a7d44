"""What the add-on publishes to Home Assistant: one entity's state and attributes."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

UNKNOWN = "unknown"


@dataclass(frozen=True)
class EntityState:
    entity_id: str
    state: str
    attributes: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The body of ``POST /api/states/<entity_id>``."""
        return {"state": self.state, "attributes": dict(self.attributes)}

    @classmethod
    def from_json(cls, entity_id: str, body: Mapping[str, Any]) -> EntityState:
        # Read back from /data: attributes of another shape are dropped, not a crash.
        attributes = body.get("attributes")
        if not isinstance(attributes, Mapping):
            attributes = {}
        state = body.get("state", UNKNOWN)
        return cls(entity_id, state if isinstance(state, str) else UNKNOWN, dict(attributes))


# The first account's entities are sensor.oura_*; every later one's sensor.oura_<name>_*.
FIRST_PREFIX = "oura"


def entity_prefix(account_name: str, taken: Collection[str]) -> str:
    """The entity prefix of a new account, given the prefixes other accounts hold.

    The one place this rule lives: the account store applies it on creation (and to an
    unreadable account), the panel's clash check and the scheduler read its result.
    """
    return FIRST_PREFIX if FIRST_PREFIX not in taken else f"{FIRST_PREFIX}_{account_name}"


def is_first_account(prefix: str) -> bool:
    return prefix == FIRST_PREFIX


def account_label(name: str, prefix: str) -> str | None:
    """Friendly names (and MQTT device names) carry the account's name for every account
    but the first."""
    return None if is_first_account(prefix) else name.replace("_", " ").title()


def last_night_entity_id(prefix: str, source_entity_id: str) -> str:
    """The sensor with a chosen entity's mean during last night's sleep (sleep insights)."""
    return f"sensor.{prefix}_{source_entity_id.split('.', 1)[-1]}_last_night"
