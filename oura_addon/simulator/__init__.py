"""A local stand-in for Oura's cloud (authorize page, token URLs, API v2) for tests and demo.

Never imported by the add-on at run time except in demo mode.
"""

from oura_addon.simulator.app import DropConnection, Simulator, create_simulator
from oura_addon.simulator.config import SimulatorConfig
from oura_addon.simulator.faults import Faults
from oura_addon.simulator.request_log import LoggedRequest, RequestLog
from oura_addon.simulator.server import SimulatorServer

__all__ = [
    "DropConnection",
    "Faults",
    "LoggedRequest",
    "RequestLog",
    "Simulator",
    "SimulatorConfig",
    "SimulatorServer",
    "create_simulator",
]
