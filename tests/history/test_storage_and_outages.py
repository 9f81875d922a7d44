"""The history import while Home Assistant is down (Oura is not asked for chunks) and while
/data is full or read-only (it refuses to start, and a run that cannot store its progress
stops and says why instead of showing "running" for ever)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import pytest

from oura_addon.homeassistant.websocket import WebSocketError
from oura_addon.i18n import _l
from oura_addon.store import files as storage


class DownThenUp:
    """Home Assistant's websocket refusing ``down`` sessions, then the recorder's."""

    def __init__(self, recorder, down: int, oura_requests) -> None:
        self.recorder = recorder
        self.down = down
        self.refused = 0
        self.oura_requests = oura_requests
        self.asked_meanwhile: list[int] = []  # Oura requests so far, at each refusal

    @contextlib.contextmanager
    def session(self) -> Iterator[object]:
        if self.refused < self.down:
            self.refused += 1
            self.asked_meanwhile.append(self.oura_requests())
            raise WebSocketError(_l("Home Assistant did not answer a websocket command in time."))
        with self.recorder.session() as session:
            yield session

    def dialect(self):
        return self.recorder.dialect()

    def registry_ids(self, session):
        return self.recorder.registry_ids(session)


def test_while_home_assistant_is_down_oura_is_not_asked_for_chunks(rig_factory) -> None:
    rig = rig_factory(days=100)
    target = DownThenUp(rig.recorder, down=4, oura_requests=rig.oura_requests)
    history = rig.history(statistics=target)
    history.start("alice")
    history.join(60)
    assert history.status("alice")["state"] == "done"
    # Only the first-day probe (one request per probe endpoint) went out while HA was down.
    assert target.asked_meanwhile == [3, 3, 3, 3]
    assert len(rig.recorder.snapshot()["sensor.oura_sleep_score"]) == 99


@pytest.mark.parametrize("code", [28, 30])
def test_an_import_is_not_started_on_a_full_or_read_only_data(
    rig_factory, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    rig = rig_factory(days=50)
    monkeypatch.setattr(storage.os, "statvfs", _statvfs(read_only=code == 30))
    history = rig.history()
    with pytest.raises(storage.DataNotWritable) as refused:
        history.start("alice")
    assert ("read-only" if code == 30 else "full") in refused.value.user_message
    assert history.status("alice")["state"] == "idle"
    assert rig.oura_requests() == 0


def test_a_run_whose_progress_cannot_be_stored_stops_and_says_why(
    rig_factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = rig_factory(days=400)
    history = rig.history()
    real = storage.write_json
    writes = threading.Semaphore(2)  # the start and the first day are stored, then /data fills

    def filling(path, value, **kw):
        if "history_import" in str(path) and not writes.acquire(blocking=False):
            raise storage.DataNotWritable(28)
        return real(path, value, **kw)

    monkeypatch.setattr(storage, "write_json", filling)
    history.start("alice")
    history.join(60)
    status = history.status("alice")
    assert status["state"] == "failed"
    assert "(/data) is full" in status["message"]


def _statvfs(read_only: bool):
    import os

    real = os.statvfs

    class Full:
        def __init__(self, info) -> None:
            self.f_flag = info.f_flag | (os.ST_RDONLY if read_only else 0)
            self.f_bavail = info.f_bavail if read_only else 0
            self.f_frsize = info.f_frsize

    return lambda path: Full(real(path))
