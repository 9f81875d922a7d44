"""Home Assistant's entity registry: which entity id a unique id has now.

In MQTT mode a user may rename an entity (``sensor.oura_sleep_score`` -> ``sensor.sleep``);
its long-term statistics then live under the new id, so every statistics import asks the
registry first (``config/entity_registry/list``, on the import's own websocket session).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class CommandSession(Protocol):
    def command(self, payload: Mapping[str, Any]) -> Any: ...


def entity_ids_by_unique_id(session: CommandSession, platform: str = "mqtt") -> dict[str, str]:
    """unique id -> current entity id of every ``platform`` entity in the registry."""
    entries = session.command({"type": "config/entity_registry/list"})
    found: dict[str, str] = {}
    for entry in entries if isinstance(entries, list) else ():
        if not isinstance(entry, dict) or entry.get("platform") != platform:
            continue
        unique_id, entity_id = entry.get("unique_id"), entry.get("entity_id")
        if isinstance(unique_id, str) and isinstance(entity_id, str):
            found[unique_id] = entity_id
    return found


def statistic_ids(session: CommandSession, unique_ids: Mapping[str, str]) -> dict[str, str]:
    """Our default entity id -> the registry's entity id, for the entities it knows.

    ``unique_ids`` maps each default entity id (``sensor.oura_sleep_score``) to its unique
    id; an entity the registry does not hold (yet) keeps its default id.
    """
    if not unique_ids:
        return {}
    current = entity_ids_by_unique_id(session)
    return {default: current.get(unique_id, default) for default, unique_id in unique_ids.items()}
