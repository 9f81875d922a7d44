"""A local stand-in for Oura's cloud (authorize page, token URLs, API v2) for tests and demo.

Never imported by the add-on at run time except in demo mode.
"""

from .app import DropConnection, Simulator, create_simulator
from .config import SimulatorConfig
from .faults import Faults
from .request_log import LoggedRequest, RequestLog
from .server import SimulatorServer

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
