"""DOCS.md's entity reference, written from the catalogue table.

``python -m oura_addon.catalogue.reference`` rewrites the block between the two markers in
DOCS.md (``--check`` only says whether it is current); tests keep DOCS equal to the table.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from oura_addon.catalogue.events import EVENTS, SYNC_NOW
from oura_addon.catalogue.table import CONNECTED, SENSORS, SensorDescription
from oura_addon.oura.endpoints import ENDPOINTS_BY_NAME

START = "<!-- entity-reference:start (python -m oura_addon.catalogue.reference) -->"
END = "<!-- entity-reference:end -->"
NONE = "\N{EN DASH}"  # an empty cell, as the rest of DOCS writes it
DOCS = Path(__file__).resolve().parents[2] / "DOCS.md"


def _scope(endpoint: str) -> str:
    found = ENDPOINTS_BY_NAME.get(endpoint)
    return f"`{found.scope}`" if found else NONE


def _cell(value: str | None) -> str:
    return f"`{value}`" if value else NONE


def _row(description: SensorDescription) -> str:
    cells = (
        f"`{description.entity_id('oura')}`",
        description.name,
        description.unit or NONE,
        _cell(description.device_class),
        _cell(description.state_class),
        _scope(description.endpoint),
        "yes" if description.enabled_by_default else "no",
    )
    return "| " + " | ".join(cells) + " |"


def reference() -> str:
    """The Markdown block (markers included)."""
    lines = [
        START,
        "| entity id | name | unit | device class | state class | scope | enabled by default |",
        "|---|---|---|---|---|---|---|",
        *(_row(d) for d in (*SENSORS, CONNECTED)),
        "",
        "Automation entities (MQTT mode; in core-API mode the same moments are bus events):",
        "",
        "| entity id | name | event type | bus event (core API) | scope |",
        "|---|---|---|---|---|",
        *(
            f"| `{e.entity_id('oura')}` | {e.name} | `{e.event_type}` | `{e.bus_event}` "
            f"| {_scope(e.endpoint)} |"
            for e in EVENTS
        ),
        f"| `{SYNC_NOW.entity_id('oura')}` | {SYNC_NOW.name} | (button) | {NONE} | {NONE} |",
        END,
    ]
    return "\n".join(lines)


def with_reference(document: str) -> str:
    """``document`` with its reference block replaced by the current one."""
    start, end = document.index(START), document.index(END) + len(END)
    return document[:start] + reference() + document[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=Path, default=DOCS)
    parser.add_argument("--check", action="store_true", help="only say whether it is current")
    args = parser.parse_args(argv)
    current = args.docs.read_text(encoding="utf-8")
    wanted = with_reference(current)
    if args.check:
        print("current" if wanted == current else f"{args.docs} differs from the table")
        return 0 if wanted == current else 1
    args.docs.write_text(wanted, encoding="utf-8")
    print(f"wrote the entity reference into {args.docs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
