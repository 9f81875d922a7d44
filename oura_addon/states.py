"""What the add-on publishes to Home Assistant: one entity's state and attributes."""

from __future__ import annotations

from collections.abc import Mapping
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
        return cls(entity_id, str(body.get("state", UNKNOWN)), dict(body.get("attributes") or {}))


def entity_prefix(account_name: str, is_first: bool) -> str:
    """``oura`` for the first account, ``oura_<name>`` for the others."""
    return "oura" if is_first else f"oura_{account_name}"


def account_label(name: str, prefix: str) -> str | None:
    """Friendly names (and MQTT device names) carry the account's name for every account
    but the first."""
    return None if prefix == "oura" else name.replace("_", " ").title()
