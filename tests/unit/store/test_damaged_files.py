"""Every /data file goes through one reader: whatever is planted there (a link, a pipe, a
device, a huge or non-UTF-8 file, JSON nested past the bound, a number of 5000 digits, a
document of the wrong shape) is refused with a sentence, and the add-on goes on."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest

from oura_addon.history_import.job import HistoryJob
from oura_addon.homeassistant.publisher import CoreApiPublisher
from oura_addon.homeassistant.rest import HomeAssistantClient
from oura_addon.i18n import Catalogues
from oura_addon.oura.tokens import TokenSet
from oura_addon.settings import load_settings
from oura_addon.store import files as storage
from oura_addon.store.accounts import CONNECTED, NEEDS_RECONNECT, AccountStore
from oura_addon.store.import_jobs import JobStore
from oura_addon.store.trends import TrendStore

NOW = 1_800_000_000.0
GERMAN = Catalogues().translator("de")


def _deep(levels: int) -> str:
    return "[" * levels + "]" * levels


def _plant(path: Path, kind: str) -> None:
    """One damaged file at ``path``; every kind the reader must refuse."""
    path.parent.mkdir(parents=True, exist_ok=True)
    outside = path.parent.parent / f"outside-{path.name}"
    if kind == "symlink":
        outside.write_text('{"states": {}}')
        path.symlink_to(outside)
    elif kind == "hardlink":
        outside.write_text('{"states": {}}')
        os.link(outside, path)
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path.symlink_to("/dev/zero")
    elif kind == "directory":
        path.mkdir()
    elif kind == "huge":
        with path.open("wb") as out:
            out.truncate(16 * 1024 * 1024 + 1)  # the documented bound: 16 MiB
    elif kind == "not_utf8":
        path.write_bytes(b'{"a": "\xff\xfe"}')
    elif kind == "deep":
        path.write_text(_deep(100_000))
    elif kind == "long_int":
        path.write_text('{"poll_interval": ' + "9" * 5000 + "}")
    elif kind == "not_json":
        path.write_text("{not json")
    elif kind == "other_owner":
        if os.geteuid() != 0:
            pytest.skip("giving a file to another user needs root")
        path.write_text('{"poll_interval": 5}')
        os.chown(path, 12345, 12345)
    else:
        raise AssertionError(kind)


KINDS = (
    "symlink",
    "hardlink",
    "fifo",
    "device",
    "directory",
    "huge",
    "not_utf8",
    "deep",
    "long_int",
    "not_json",
    "other_owner",
)
REASONS = {
    "symlink": "link",
    "hardlink": "link",
    "fifo": "pipe",
    "device": "link",
    "directory": "folder",
    "huge": "larger than",
    "not_utf8": "UTF-8",
    "deep": "nests deeper",
    "long_int": "number too large",
    "not_json": "not valid JSON",
    "other_owner": "another user",
}


@pytest.mark.parametrize("kind", KINDS)
def test_the_reader_refuses_each_kind_with_a_sentence(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "doc.json"
    _plant(path, kind)
    with pytest.raises(storage.UnusableFile) as refused:
        storage.load_document(path)
    assert REASONS[kind] in str(refused.value.reason)
    assert GERMAN.text(refused.value.reason) != str(refused.value.reason)


def test_json_within_the_bound_is_read_and_brackets_in_strings_do_not_count(
    tmp_path: Path,
) -> None:
    path = tmp_path / "doc.json"
    assert storage.MAX_JSON_DEPTH == 32  # the documented bound
    nested = json.loads(_deep(storage.MAX_JSON_DEPTH - 1))
    path.write_text(json.dumps({"b": '[[[["[[\\', "a": nested}))
    assert storage.load_document(path)["b"] == '[[[["[[\\'
    path.write_text(_deep(storage.MAX_JSON_DEPTH))
    assert storage.load_document(path) == json.loads(_deep(storage.MAX_JSON_DEPTH))
    path.write_text(_deep(storage.MAX_JSON_DEPTH + 1))
    with pytest.raises(storage.UnusableFile):
        storage.load_document(path)


def test_a_document_of_the_wrong_shape_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    path.write_text("[1, 2]")

    def must_be_object(raw: object) -> dict:
        if not isinstance(raw, dict):
            raise ValueError("not an object")
        return raw

    with pytest.raises(storage.UnusableFile, match="expected shape"):
        storage.load_document(path, must_be_object)


@pytest.mark.parametrize("kind", KINDS)
def test_damaged_options_are_a_panel_problem_and_the_add_on_starts(
    tmp_path: Path, kind: str
) -> None:
    _plant(tmp_path / "options.json", kind)
    settings = load_settings({"OURA_ADDON_DATA": str(tmp_path)})
    (problem,) = settings.problems
    assert "options.json" in problem
    assert settings.poll_interval_minutes == 10  # the defaults
    assert GERMAN.text(problem) != str(problem)


@pytest.mark.parametrize("kind", KINDS)
def test_a_damaged_account_file_with_a_good_backup_keeps_its_tokens(
    tmp_path: Path, kind: str
) -> None:
    store = AccountStore(tmp_path, clock=lambda: NOW)
    tokens = TokenSet("access", "refresh", NOW + 3600)
    store.save_tokens("me", tokens)
    path = tmp_path / "accounts" / "me.json"
    path.unlink()
    _plant(path, kind)
    fresh = AccountStore(tmp_path, clock=lambda: NOW)
    fresh.recover()
    assert fresh.get("me").connection == CONNECTED
    assert fresh.tokens("me") == tokens


@pytest.mark.parametrize("kind", KINDS)
def test_a_damaged_account_without_a_copy_needs_reconnecting(tmp_path: Path, kind: str) -> None:
    _plant(tmp_path / "accounts" / "me.json", kind)
    store = AccountStore(tmp_path, clock=lambda: NOW)
    store.recover()
    (account,) = store.list()
    assert account.connection == NEEDS_RECONNECT
    assert "unreadable" in account.auth_error


def test_a_planted_temp_file_linking_to_another_document_is_not_adopted(tmp_path: Path) -> None:
    store = AccountStore(tmp_path, clock=lambda: NOW)
    store.save_tokens("me", TokenSet("mine", "mine-r", NOW + 3600))
    elsewhere = tmp_path / "planted.json"
    elsewhere.write_text(
        json.dumps(
            {
                "name": "me",
                "entity_prefix": "oura",
                "tokens": TokenSet("evil", "evil-r", NOW + 3600).to_json(),
                "generation": 99,
            }
        )
    )
    (tmp_path / "accounts" / ".me.json.abcdefgh.tmp").symlink_to(elsewhere)
    os.link(elsewhere, tmp_path / "accounts" / ".me.json.bak.zyxwvuts.tmp")
    assert store.tokens("me").access_token == "mine"
    store.recover()
    assert store.tokens("me").access_token == "mine"


def test_temp_copies_are_only_those_of_the_file_itself(tmp_path: Path) -> None:
    target = tmp_path / "me.json"
    own = [".me.json.k3j2h1ab.tmp", ".me.json.bak.q9w8e7rt.tmp"]
    others = [".me.json.other.json.tmp", ".me.json2.abc.tmp", ".meXjson.abc.tmp", "me.json.a.tmp"]
    for name in own + others:
        (tmp_path / name).write_text("{}")
    assert [p.name for p in storage.temp_copies(target)] == sorted(own)


def test_trends_with_wrong_typed_values_keep_the_good_ones(tmp_path: Path) -> None:
    trends = TrendStore(tmp_path)
    path = tmp_path / "history" / "me.json"
    path.parent.mkdir()
    path.write_text(
        json.dumps(
            {"sleep_score": {"2026-01-01": 80, "x": 1, "2026-01-02": "high"}, "readiness": [1]}
        )
    )
    assert trends.load("me") == {"sleep_score": {"2026-01-01": 80.0}}
    merged = trends.merge("me", {"sleep_score": {"2026-01-03": 70.0}}, date(2026, 1, 3))
    assert merged["sleep_score"] == {"2026-01-01": 80.0, "2026-01-03": 70.0}


@pytest.mark.parametrize("kind", [*KINDS, "wrong_types"])
def test_a_damaged_history_import_file_is_an_idle_job(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "history_import" / "me.json"
    if kind == "wrong_types":
        path.parent.mkdir()
        path.write_text(json.dumps({"format": 1, "state": "running", "cursors": [1], "anchors": 5}))
    else:
        _plant(path, kind)
    assert JobStore(tmp_path).load("me") == HistoryJob()


@pytest.mark.parametrize("kind", [*KINDS, "wrong_shape"])
def test_a_damaged_published_file_starts_with_nothing_published(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "published.json"
    if kind == "wrong_shape":
        path.write_text(
            json.dumps(
                {
                    "format": 1,
                    "states": {
                        "sensor.oura_a": {"state": "1", "attributes": [1, 2]},
                        "sensor.oura_b": {"state": ["x"], "attributes": "text"},
                    },
                    "removing": 3,
                }
            )
        )
    else:
        _plant(path, kind)
    publisher = CoreApiPublisher(HomeAssistantClient("http://127.0.0.1:9", "t"), path)
    assert publisher._load() == ({}, set()) if kind != "wrong_shape" else True
    if kind == "wrong_shape":
        states, removing = publisher._load()
        assert states["sensor.oura_a"].attributes == {}
        assert states["sensor.oura_b"].state == "unknown"
        assert removing == set()


def test_a_full_data_is_reported_as_such(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*_args: object, **_kwargs: object) -> tuple[int, str]:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage.tempfile, "mkstemp", full)
    with pytest.raises(storage.DataNotWritable) as refused:
        storage.write_json(tmp_path / "x.json", {"a": 1})
    assert isinstance(refused.value, OSError)
    assert "full" in refused.value.user_message


def test_a_read_only_data_is_reported_as_such(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def read_only(*_args: object, **_kwargs: object) -> tuple[int, str]:
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(storage.tempfile, "mkstemp", read_only)
    store = AccountStore(tmp_path, clock=lambda: NOW)
    with pytest.raises(storage.DataNotWritable, match="read-only"):
        store.create("me")
    assert store.list() == []  # nothing half-stored


class _StatVfs:
    def __init__(self, free_blocks: int, read_only: bool = False) -> None:
        self.f_bavail = free_blocks
        self.f_frsize = 4096
        self.f_flag = os.ST_RDONLY if read_only else 0


@pytest.mark.parametrize(
    ("info", "sentence"),
    [
        (_StatVfs(free_blocks=15), "full"),  # 60 KiB left: below the 64 KiB a write needs
        (_StatVfs(free_blocks=1000, read_only=True), "read-only"),
        (_StatVfs(free_blocks=16), None),  # exactly 64 KiB
        (_StatVfs(free_blocks=10**6), None),
    ],
)
def test_the_storage_condition_names_a_full_or_read_only_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, info: _StatVfs, sentence: str | None
) -> None:
    monkeypatch.setattr(storage.os, "statvfs", lambda _path: info)
    condition = storage.storage_condition(tmp_path)
    if sentence is None:
        assert condition is None
    else:
        assert isinstance(condition, storage.DataNotWritable)
        assert sentence in condition.user_message


def test_a_data_that_cannot_be_asked_is_not_reported(tmp_path: Path) -> None:
    assert storage.storage_condition(tmp_path / "absent") is None


def test_writes_and_reads_leave_no_file_descriptor_open(tmp_path: Path) -> None:
    descriptors = Path("/proc/self/fd")
    before = len(list(descriptors.iterdir()))
    for number in range(50):
        storage.write_json(tmp_path / "doc.json", {"n": number}, keep_backup=True)
        assert storage.read_json(tmp_path / "doc.json", use_backup=True) == {"n": number}
    with pytest.raises(storage.UnusableFile):
        _plant(tmp_path / "pipe.json", "fifo")
        storage.load_document(tmp_path / "pipe.json")
    assert len(list(descriptors.iterdir())) == before
