"""The sensor catalogue: which entities exist and how Oura records become their states."""

from .build import ATTRIBUTION, build_states, catalogue_rows, connected_state, entity_ids
from .table import CONNECTED, SENSORS, SensorDescription

__all__ = [
    "ATTRIBUTION",
    "CONNECTED",
    "SENSORS",
    "SensorDescription",
    "build_states",
    "catalogue_rows",
    "connected_state",
    "entity_ids",
]
