"""Wiring: the simulator's state (``state``) and its routes as one WSGI app."""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from oura_addon.simulator import control_routes, data_routes, oauth_routes, webhook_routes
from oura_addon.simulator.config import SimulatorConfig
from oura_addon.simulator.state import DropConnection, Simulator
from oura_addon.simulator.webhooks import Webhooks

__all__ = ["DropConnection", "Simulator", "build_flask_app", "create_simulator"]


class _OuraJson(DefaultJSONProvider):
    sort_keys = False  # keep Oura's field order
    compact = True


def build_flask_app(simulator: Simulator) -> Flask:
    app = Flask(__name__)
    app.json = _OuraJson(app)
    app.register_blueprint(oauth_routes.blueprint(simulator))
    app.register_blueprint(data_routes.blueprint(simulator))
    app.register_blueprint(control_routes.blueprint(simulator))
    simulator.webhooks = Webhooks(simulator)
    app.register_blueprint(webhook_routes.blueprint(simulator.webhooks))
    control_routes.install_request_logging(app, simulator)
    return app


def create_simulator(
    config: SimulatorConfig | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> Simulator:
    simulator = Simulator(config or SimulatorConfig(), clock=clock, sleep=sleep)
    simulator.flask_app = build_flask_app(simulator)
    return simulator
