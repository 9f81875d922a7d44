"""The sensor catalogue: which entities exist and how Oura records become their states.

The catalogue's selectors are the one rule for which Oura document stands for a day: the
sensors' states and ``daily_values`` (trends, headline numbers, statistics) both use them.
"""

from oura_addon.catalogue.build import (
    ATTRIBUTION,
    build_states,
    catalogue_rows,
    connected_state,
    daily_values,
    entity_ids,
)
from oura_addon.catalogue.table import (
    CONNECTED,
    DAILY_SENSORS,
    HEADLINES,
    SENSORS,
    STATISTIC_SENSORS,
    TRENDS,
    PanelPlace,
    SensorDescription,
)

__all__ = [
    "ATTRIBUTION",
    "CONNECTED",
    "DAILY_SENSORS",
    "HEADLINES",
    "SENSORS",
    "STATISTIC_SENSORS",
    "TRENDS",
    "PanelPlace",
    "SensorDescription",
    "build_states",
    "catalogue_rows",
    "connected_state",
    "daily_values",
    "entity_ids",
]
