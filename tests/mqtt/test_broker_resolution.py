"""Where the broker comes from: the options, else the Supervisor's services API (a stand-in
Supervisor on loopback answers like the real one)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from oura_addon.homeassistant.broker import resolve_broker
from oura_addon.homeassistant.supervisor import SupervisorClient
from oura_addon.settings import Settings

SERVICE = {
    "result": "ok",
    "data": {
        "host": "core-mosquitto",
        "port": 1883,
        "ssl": False,
        "protocol": "3.1.1",
        "username": "addons",
        "password": "generated-secret",
    },
}


class FakeSupervisor:
    def __init__(self) -> None:
        self.answer: tuple[int, object] = (200, SERVICE)
        self.requests: list[tuple[str, str | None]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake.requests.append((self.path, self.headers.get("Authorization")))
                status, body = fake.answer
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def supervisor() -> Iterator[FakeSupervisor]:
    fake = FakeSupervisor()
    yield fake
    fake.close()


def settings_for(supervisor: FakeSupervisor, **extra) -> Settings:
    return Settings(supervisor_url=supervisor.url, supervisor_token="sup-token", **extra)


def test_the_broker_add_on_is_found_through_the_supervisor(supervisor):
    settings = settings_for(supervisor)
    found = resolve_broker(settings, SupervisorClient.from_settings(settings))
    assert found.broker is not None
    assert found.broker.address == "core-mosquitto:1883"
    assert found.broker.username == "addons"
    assert found.broker.password == "generated-secret"
    assert supervisor.requests == [("/services/mqtt", "Bearer sup-token")]


def test_no_broker_add_on_is_one_sentence(supervisor):
    supervisor.answer = (400, {"result": "error", "message": "No mqtt service"})
    settings = settings_for(supervisor)
    found = resolve_broker(settings, SupervisorClient.from_settings(settings))
    assert found.broker is None
    assert found.problem == (
        "No MQTT broker add-on is installed (the Supervisor offers no mqtt service)."
    )


def test_a_broker_in_the_options_needs_no_supervisor(supervisor):
    settings = settings_for(supervisor, mqtt_host="10.1.2.3", mqtt_port=8883)
    found = resolve_broker(settings, SupervisorClient.from_settings(settings))
    assert found.broker is not None and found.broker.address == "10.1.2.3:8883"
    assert supervisor.requests == []


def test_an_unreachable_supervisor_is_one_sentence():
    settings = Settings(supervisor_url="http://127.0.0.1:9", supervisor_token="t")
    found = resolve_broker(settings, SupervisorClient.from_settings(settings))
    assert found.broker is None
    assert found.problem is not None and found.problem.startswith("The Supervisor is not reachable")
