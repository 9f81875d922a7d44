"""What the add-on says differently to different Home Assistant releases.

Home Assistant reports its release in ``GET /api/config`` -> ``version``. Where releases
disagree on what they expect from us, ``dialect_for(version)`` gives the words to use; all
the rest of the add-on stays release-agnostic. A version we cannot read gets the newest
dialect: a user who runs something we do not know most likely runs something new.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# 2025.10 added `mean_type` and `unit_class` to statistics metadata (2026.11 warns without
# them) and `default_entity_id` to MQTT discovery (deprecating `object_id`; 2026.4 dropped it).
MODERN_SINCE = (2025, 10)

# recorder.models.StatisticMeanType
MEAN_NONE = 0
MEAN_ARITHMETIC = 1

# The MQTT discovery keys that set an entity's id: the full id, or (older) the part after "."
DEFAULT_ENTITY_ID = "default_entity_id"
OBJECT_ID = "object_id"

# The unit class Home Assistant's sensor recorder gives a statistic of each unit (from its
# unit converters; tests/integration checks this table against a real 2026.11 core). A unit
# it converts nothing for has none.
UNIT_CLASSES: Mapping[str | None, str] = {
    None: "unitless",
    "%": "unitless",
    "ms": "duration",
    "s": "duration",
    "min": "duration",
    "h": "duration",
    "d": "duration",
    "m": "distance",
    "km": "distance",
    "°C": "temperature",
    "kcal": "energy",
}

_RELEASE = re.compile(r"^\s*(\d{4})\.(\d{1,2})(?:\.|$|[a-z])")


def release_of(version: object) -> tuple[int, int] | None:
    """``"2026.11.0"`` -> ``(2026, 11)``; dev and beta builds count as their release."""
    if not isinstance(version, str) or not (match := _RELEASE.match(version)):
        return None
    return int(match.group(1)), int(match.group(2))


@dataclass(frozen=True)
class Dialect:
    """How to talk to one Home Assistant release."""

    version: str | None  # as Home Assistant reported it; None when unknown
    modern: bool  # 2025.10 or later

    def statistic_metadata(
        self, statistic_id: str, unit: str | None, *, total: bool = False
    ) -> dict[str, Any]:
        """``recorder/import_statistics`` metadata of a statistic with a mean per row, or
        with a running sum when ``total`` (a daily total's).

        ``source`` "recorder" is what Home Assistant demands for an entity's own statistic
        id; ``name`` stays None as in the rows the recorder compiles itself, so the two never
        disagree.
        """
        metadata: dict[str, Any] = {
            "statistic_id": statistic_id,
            "source": "recorder",
            "name": None,
            "unit_of_measurement": unit,
            "has_sum": total,
        }
        if self.modern:
            metadata["mean_type"] = MEAN_NONE if total else MEAN_ARITHMETIC
            metadata["unit_class"] = UNIT_CLASSES.get(unit)
        else:
            metadata["has_mean"] = not total
        return metadata

    @property
    def discovery_entity_key(self) -> str:
        """The MQTT discovery key this release reads an entity's id from."""
        return DEFAULT_ENTITY_ID if self.modern else OBJECT_ID


def dialect_for(version: object) -> Dialect:
    release = release_of(version)
    return Dialect(
        version if isinstance(version, str) else None,
        modern=release is None or release >= MODERN_SINCE,
    )
