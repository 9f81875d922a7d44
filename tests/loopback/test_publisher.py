"""The publisher and the core API client against a small stand-in for Home Assistant's REST
API, served over loopback so every request is real HTTP."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

import pytest

from oura_addon.homeassistant import (
    CoreApiPublisher,
    HomeAssistantClient,
    HomeAssistantError,
    PublishError,
)
from oura_addon.http import RetryPolicy
from oura_addon.states import EntityState

TOKEN = "supervisor-token-that-must-stay-secret"


class FakeHomeAssistant:
    """Home Assistant's states, services and config endpoints, in memory.

    ``stop()`` closes the port (connection refused, like a core that is down); ``start()``
    opens the same port again. ``forget_states()`` is what a core restart does to pushed
    states.
    """

    def __init__(self) -> None:
        self.states: dict[str, dict] = {}
        self.requests: list[tuple[str, str]] = []
        self.service_calls: list[tuple[str, dict]] = []
        self.events: list[tuple[str, dict]] = []  # fired on the bus: (event type, data)
        self.reject_states: set[str] = set()  # entity ids answered with 400
        self.port = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def posted(self) -> list[str]:
        return [path.removeprefix("/api/states/") for m, path in self.requests if m == "POST"]

    def forget_states(self) -> None:
        self.states.clear()

    def start(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _answer(self, status: int, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                fake.requests.append((method, unquote(self.path)))
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    self._answer(401, {"message": "Unauthorized"})
                    return
                path = unquote(self.path).removeprefix("/api")
                if path == "/config" and method == "GET":
                    self._answer(200, {"time_zone": "Europe/Helsinki", "state": "RUNNING"})
                elif path.startswith("/states/"):
                    self._state(method, path.removeprefix("/states/"), body)
                elif path.startswith("/events/") and method == "POST":
                    fake.events.append((path.removeprefix("/events/"), body))
                    self._answer(200, {"message": "Event fired."})
                elif path.startswith("/services/") and method == "POST":
                    fake.service_calls.append((path.removeprefix("/services/"), body))
                    self._answer(200, [])
                else:
                    self._answer(404, {"message": "Not found"})

            def _state(self, method: str, entity_id: str, body: dict | None) -> None:
                if method == "POST":
                    if entity_id in fake.reject_states:
                        self._answer(400, {"message": "Invalid state specified."})
                        return
                    fake.states[entity_id] = {"entity_id": entity_id, **(body or {})}
                    self._answer(200, fake.states[entity_id])
                elif entity_id not in fake.states:
                    self._answer(404, {"message": "Entity not found."})
                elif method == "DELETE":
                    del fake.states[entity_id]
                    self._answer(200, {"message": "Entity removed."})
                else:
                    self._answer(200, fake.states[entity_id])

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_DELETE(self) -> None:
                self._handle("DELETE")

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


@pytest.fixture
def fake_ha() -> Iterator[FakeHomeAssistant]:
    fake = FakeHomeAssistant()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


def no_wait_policy() -> RetryPolicy:
    return RetryPolicy(attempts=2, sleep=lambda _: None, timeout=(2.0, 5.0))


def make_client(fake: FakeHomeAssistant, token: str | None = TOKEN) -> HomeAssistantClient:
    return HomeAssistantClient(fake.api_url, token, policy=no_wait_policy())


@pytest.fixture
def client(fake_ha: FakeHomeAssistant) -> HomeAssistantClient:
    return make_client(fake_ha)


@pytest.fixture
def state_path(tmp_path: Path) -> Path:
    return tmp_path / "published.json"


def sleep_score(value: str) -> EntityState:
    return EntityState(
        "sensor.oura_sleep_score",
        value,
        {"unit_of_measurement": "points", "state_class": "measurement"},
    )


def readiness(value: str) -> EntityState:
    return EntityState("sensor.oura_readiness_score", value, {"state_class": "measurement"})


def heart_rate_of(entity_id: str, value: int) -> EntityState:
    return EntityState(entity_id, str(value), {"unit_of_measurement": "bpm"})


def desired(*states: EntityState) -> dict[str, EntityState]:
    return {s.entity_id: s for s in states}


# -- change tracking --------------------------------------------------------------------------


def test_only_states_that_changed_are_sent_again(fake_ha, client, state_path):
    publisher = CoreApiPublisher(client, state_path)
    first = publisher.publish(desired(sleep_score("80"), readiness("70")))
    second = publisher.publish(desired(sleep_score("81"), readiness("70")))

    assert sorted(first.sent) == ["sensor.oura_readiness_score", "sensor.oura_sleep_score"]
    assert second.sent == ("sensor.oura_sleep_score",)
    assert second.unchanged == 1
    assert fake_ha.posted() == [
        "sensor.oura_sleep_score",
        "sensor.oura_readiness_score",
        "sensor.oura_sleep_score",
    ]
    assert fake_ha.states["sensor.oura_sleep_score"]["state"] == "81"


def test_a_changed_attribute_alone_is_sent(fake_ha, client, state_path):
    publisher = CoreApiPublisher(client, state_path)
    publisher.publish(desired(readiness("70")))
    moved = EntityState("sensor.oura_readiness_score", "70", {"day": "2026-11-25"})

    assert publisher.publish(desired(moved)).sent == ("sensor.oura_readiness_score",)
    assert fake_ha.states["sensor.oura_readiness_score"]["attributes"] == {"day": "2026-11-25"}


def test_ha_down_fails_clearly_and_everything_goes_out_once_it_is_back(fake_ha, client, state_path):
    publisher = CoreApiPublisher(client, state_path)
    publisher.publish(desired(sleep_score("80"), readiness("70")))
    fake_ha.stop()

    with pytest.raises(PublishError) as caught:
        publisher.publish(desired(sleep_score("81"), readiness("71")))

    assert "not reachable" in caught.value.user_message
    assert fake_ha.api_url in caught.value.user_message
    assert publisher.last_error == caught.value.user_message
    assert set(caught.value.failed) == {"sensor.oura_sleep_score", "sensor.oura_readiness_score"}
    fake_ha.start()
    result = publisher.publish(desired(sleep_score("81"), readiness("71")))

    assert sorted(result.sent) == ["sensor.oura_readiness_score", "sensor.oura_sleep_score"]
    assert fake_ha.states["sensor.oura_sleep_score"]["state"] == "81"
    assert fake_ha.states["sensor.oura_readiness_score"]["state"] == "71"
    assert publisher.last_error is None
    assert publisher.last_success is not None


def test_a_state_whose_post_failed_is_sent_even_if_it_changed_back(fake_ha, client, state_path):
    # Home Assistant may have applied the failed post; only a fresh post makes it certain.
    publisher = CoreApiPublisher(client, state_path)
    publisher.publish(desired(sleep_score("80")))
    fake_ha.stop()
    with pytest.raises(PublishError):
        publisher.publish(desired(sleep_score("81")))
    fake_ha.start()

    assert publisher.publish(desired(sleep_score("80"))).sent == ("sensor.oura_sleep_score",)


def test_a_rejected_state_does_not_hold_back_the_others(fake_ha, client, state_path):
    fake_ha.reject_states.add("sensor.oura_sleep_score")
    publisher = CoreApiPublisher(client, state_path)

    with pytest.raises(PublishError) as caught:
        publisher.publish(desired(sleep_score("80"), readiness("70")))

    assert "sensor.oura_sleep_score" in caught.value.user_message
    assert caught.value.failed == ("sensor.oura_sleep_score",)
    assert fake_ha.states["sensor.oura_readiness_score"]["state"] == "70"


def test_an_invalid_entity_id_is_refused_before_sending_and_others_still_go(
    fake_ha, client, state_path
):
    publisher = CoreApiPublisher(client, state_path)

    with pytest.raises(PublishError) as caught:
        publisher.publish(desired(EntityState("Sensor.Bad Name", "1"), readiness("70")))

    assert "not a valid Home Assistant entity id" in caught.value.user_message
    assert fake_ha.posted() == ["sensor.oura_readiness_score"]


# -- persistence across add-on restarts ---------------------------------------------------------


def test_an_addon_restart_republishes_the_persisted_states_at_once(fake_ha, client, state_path):
    CoreApiPublisher(client, state_path).publish(desired(sleep_score("80"), readiness("70")))
    fake_ha.forget_states()
    fake_ha.requests.clear()

    restarted = CoreApiPublisher(make_client(fake_ha), state_path)
    result = restarted.republish_all()

    assert sorted(result.sent) == ["sensor.oura_readiness_score", "sensor.oura_sleep_score"]
    assert fake_ha.states["sensor.oura_sleep_score"] == {
        "entity_id": "sensor.oura_sleep_score",
        "state": "80",
        "attributes": {"unit_of_measurement": "points", "state_class": "measurement"},
    }
    assert state_path.stat().st_mode & 0o777 == 0o600


def test_states_persisted_while_ha_was_down_survive_an_addon_restart(fake_ha, state_path):
    publisher = CoreApiPublisher(make_client(fake_ha), state_path)
    publisher.publish(desired(sleep_score("80")))
    fake_ha.stop()
    with pytest.raises(PublishError):
        publisher.publish(desired(sleep_score("82"), readiness("70")))

    restarted = CoreApiPublisher(make_client(fake_ha), state_path)
    with pytest.raises(PublishError):
        restarted.republish_all()  # still down: nothing may be dropped
    fake_ha.start()
    restarted.republish_all()

    assert fake_ha.states["sensor.oura_sleep_score"]["state"] == "82"
    assert fake_ha.states["sensor.oura_readiness_score"]["state"] == "70"


def test_a_corrupt_state_file_starts_empty_without_crashing(fake_ha, client, state_path, caplog):
    state_path.write_text("{not json", encoding="utf-8")
    caplog.set_level(logging.WARNING)

    publisher = CoreApiPublisher(client, state_path)

    assert publisher.published() == {}
    assert "starting with no published states" in caplog.text
    assert publisher.republish_all().sent == ()
    publisher.publish(desired(readiness("70")))
    assert json.loads(state_path.read_text())["states"]["sensor.oura_readiness_score"] == {
        "state": "70",
        "attributes": {"state_class": "measurement"},
    }


def test_a_state_file_of_the_wrong_shape_starts_empty(client, state_path):
    state_path.write_text(json.dumps({"states": ["sensor.x"]}), encoding="utf-8")

    assert CoreApiPublisher(client, state_path).published() == {}


# -- Home Assistant restarts ----------------------------------------------------------------------


def test_ensure_present_restores_every_state_after_a_ha_restart(fake_ha, client, state_path):
    publisher = CoreApiPublisher(client, state_path)
    publisher.publish(desired(sleep_score("80"), readiness("70")))
    fake_ha.forget_states()

    assert publisher.ensure_present() is True
    assert fake_ha.states["sensor.oura_sleep_score"]["state"] == "80"
    assert fake_ha.states["sensor.oura_readiness_score"]["state"] == "70"


def test_ensure_present_costs_one_get_when_nothing_is_missing(fake_ha, client, state_path):
    publisher = CoreApiPublisher(client, state_path)
    publisher.publish(desired(sleep_score("80"), readiness("70")))
    fake_ha.requests.clear()

    assert publisher.ensure_present() is False
    assert fake_ha.requests == [("GET", "/api/states/sensor.oura_sleep_score")]


def test_ensure_present_checks_the_state_confirmed_longest_ago(fake_ha, client, state_path):
    # After a restart, a state re-posted since then must not hide the ones that are gone.
    publisher = CoreApiPublisher(client, state_path)
    publisher.publish(desired(sleep_score("80"), readiness("70")))
    fake_ha.forget_states()
    publisher.publish(desired(sleep_score("81"), readiness("70")))

    assert publisher.ensure_present() is True
    assert fake_ha.states["sensor.oura_readiness_score"]["state"] == "70"


def test_ensure_present_with_ha_down_reports_it(fake_ha, client, state_path):
    publisher = CoreApiPublisher(client, state_path)
    publisher.publish(desired(sleep_score("80")))
    fake_ha.stop()

    with pytest.raises(HomeAssistantError, match="not reachable"):
        publisher.ensure_present()
    assert publisher.last_error is not None


# -- removal ------------------------------------------------------------------------------------


def test_remove_deletes_the_entities_and_forgets_them(fake_ha, client, state_path):
    publisher = CoreApiPublisher(client, state_path)
    publisher.publish(desired(sleep_score("80"), readiness("70")))

    removed = publisher.remove(["sensor.oura_sleep_score", "sensor.oura_never_published"])

    assert removed == 1
    assert "sensor.oura_sleep_score" not in fake_ha.states
    assert "sensor.oura_sleep_score" not in publisher.published()
    fake_ha.forget_states()
    assert publisher.republish_all().sent == ("sensor.oura_readiness_score",)
    assert "sensor.oura_sleep_score" not in json.loads(state_path.read_text())["states"]


def test_a_removal_while_ha_is_down_is_sent_once_it_is_back(fake_ha, client, state_path):
    publisher = CoreApiPublisher(client, state_path)
    publisher.publish(desired(sleep_score("80"), readiness("70")))
    fake_ha.stop()
    with pytest.raises(HomeAssistantError):
        publisher.remove(["sensor.oura_sleep_score"])
    fake_ha.start()

    publisher.publish(desired(readiness("71")))  # the next cycle of the accounts left

    assert "sensor.oura_sleep_score" not in fake_ha.states
    assert fake_ha.states["sensor.oura_readiness_score"]["state"] == "71"
    assert publisher.last_error is None


def test_a_removal_while_ha_is_down_survives_an_addon_restart(fake_ha, state_path):
    publisher = CoreApiPublisher(make_client(fake_ha), state_path)
    publisher.publish(desired(sleep_score("80"), readiness("70")))
    fake_ha.stop()
    with pytest.raises(HomeAssistantError):
        publisher.remove(["sensor.oura_sleep_score"])

    restarted = CoreApiPublisher(make_client(fake_ha), state_path)
    fake_ha.start()
    restarted.republish_all()  # what the add-on does first after a start

    assert "sensor.oura_sleep_score" not in fake_ha.states
    assert fake_ha.states["sensor.oura_readiness_score"]["state"] == "70"
    assert json.loads(state_path.read_text())["removing"] == []


def test_an_entity_published_again_is_no_longer_removed(fake_ha, client, state_path):
    publisher = CoreApiPublisher(client, state_path)
    publisher.publish(desired(sleep_score("80")))
    fake_ha.stop()
    with pytest.raises(HomeAssistantError):
        publisher.remove(["sensor.oura_sleep_score"])
    fake_ha.start()

    publisher.publish(desired(sleep_score("81")))  # the account was connected again
    publisher.ensure_present()

    assert fake_ha.states["sensor.oura_sleep_score"]["state"] == "81"


# -- the client ---------------------------------------------------------------------------------


def test_client_reads_config_states_and_sends_notifications(fake_ha, client):
    assert client.get_config()["time_zone"] == "Europe/Helsinki"
    assert client.get_state("sensor.oura_sleep_score") is None
    client.set_state(sleep_score("80"))
    assert client.get_state("sensor.oura_sleep_score") == sleep_score("80")
    assert client.delete_state("sensor.oura_sleep_score") is True
    assert client.delete_state("sensor.oura_sleep_score") is False

    client.create_notification("oura_reconnect", "Reconnect", "Open the panel.")
    client.dismiss_notification("oura_reconnect")

    assert fake_ha.service_calls == [
        (
            "persistent_notification/create",
            {
                "notification_id": "oura_reconnect",
                "title": "Reconnect",
                "message": "Open the panel.",
            },
        ),
        ("persistent_notification/dismiss", {"notification_id": "oura_reconnect"}),
    ]


def test_a_refused_token_is_named_and_never_shown(fake_ha, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-token-also-secret"

    with pytest.raises(HomeAssistantError) as caught:
        make_client(fake_ha, token=wrong).get_config()

    assert caught.value.user_message == "Home Assistant refused the add-on's token (401)."
    assert wrong not in repr(make_client(fake_ha, token=wrong))
    assert wrong not in caplog.text


def test_no_token_is_explained_without_calling_home_assistant(fake_ha):
    with pytest.raises(HomeAssistantError, match="no Home Assistant token"):
        make_client(fake_ha, token=None).get_config()
    assert fake_ha.requests == []


def test_a_state_that_is_not_json_is_refused_with_its_entity_named(fake_ha, client):
    with pytest.raises(HomeAssistantError, match=r"sensor\.oura_x cannot be sent as JSON"):
        client.set_state(EntityState("sensor.oura_x", "1", {"when": object()}))
    assert fake_ha.requests == []


def test_nothing_to_send_claims_nothing_about_home_assistant(fake_ha, client, state_path):
    fake_ha.stop()
    publisher = CoreApiPublisher(client, state_path)

    assert publisher.publish({}).sent == ()
    assert publisher.last_success is None
    assert publisher.last_error is None


def test_publishes_from_several_threads_all_land_and_are_all_remembered(
    fake_ha, client, state_path
):
    publisher = CoreApiPublisher(client, state_path)
    batches = [
        desired(*(heart_rate_of(f"sensor.oura_t{t}_n{n}", n) for n in range(5))) for t in range(4)
    ]
    threads = [threading.Thread(target=publisher.publish, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    expected = {e for batch in batches for e in batch}
    assert set(fake_ha.states) == expected
    assert set(json.loads(state_path.read_text())["states"]) == expected
