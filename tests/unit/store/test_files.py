import json
import os
import stat

import pytest

from oura_addon.store import files as storage


def test_write_json_is_private_and_round_trips(tmp_path):
    path = tmp_path / "sub" / "file.json"
    storage.write_json(path, {"a": 1})
    assert storage.read_json(path) == {"a": 1}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_crash_before_rename_leaves_the_old_file_and_no_temp_files(tmp_path, monkeypatch):
    path = tmp_path / "file.json"
    storage.write_json(path, {"version": 1})

    def crash(*_args):
        raise OSError("power cut")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        storage.write_json(path, {"version": 2})
    monkeypatch.undo()
    assert storage.read_json(path) == {"version": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.json"]


def test_corrupt_file_falls_back_to_its_backup(tmp_path):
    path = tmp_path / "tokens.json"
    storage.write_json(path, {"refresh": "r2"}, keep_backup=True)
    path.write_text("{trunc")
    assert storage.read_json(path, use_backup=True) == {"refresh": "r2"}


def test_both_copies_corrupt_raises_a_typed_error(tmp_path):
    path = tmp_path / "tokens.json"
    path.write_text("garbage")
    storage.backup_path(path).write_text("garbage")
    with pytest.raises(storage.CorruptFileError):
        storage.read_json(path, use_backup=True)


def test_absent_file_reads_as_none_and_delete_removes_backup(tmp_path):
    path = tmp_path / "x.json"
    assert storage.read_json(path, use_backup=True) is None
    storage.write_json(path, {"a": 1}, keep_backup=True)
    storage.delete_with_backup(path)
    assert list(tmp_path.iterdir()) == []


# ----- the newest complete copy wins, at every crash point -----------------------------------


class SimulatedCrash(BaseException):
    """The process dies here: like SIGKILL, no ``except Exception`` clean-up runs."""


class CrashingOs:
    """``storage``'s view of ``os``: counts the calls that touch the disk and dies at one.

    ``crash_at`` is the number of the call to die before; with ``torn`` a write dies after
    writing half of its bytes.
    """

    OPS = ("open", "fchmod", "write", "fsync", "close", "replace")

    def __init__(self, crash_at: int | None = None, *, torn: bool = False) -> None:
        self.crash_at = crash_at
        self.torn = torn
        self.calls: list[str] = []

    def __getattr__(self, name: str):
        real = getattr(os, name)
        if name not in self.OPS:
            return real

        def call(*args, **kwargs):
            number = len(self.calls)
            self.calls.append(name)
            if number == self.crash_at:
                if self.torn and name == "write":
                    real(args[0], bytes(args[1])[: max(1, len(args[1]) // 2)])
                raise SimulatedCrash(f"crash before {name} (call {number})")
            return real(*args, **kwargs)

        return call


def _write_both_generations(path, monkeypatch, crashing: CrashingOs) -> bool:
    """Generation 1 written normally, generation 2 under ``crashing``; True if it crashed."""
    storage.write_versioned(path, {"refresh_token": "one"})
    monkeypatch.setattr(storage, "os", crashing)
    try:
        storage.write_versioned(path, {"refresh_token": "two"})
    except SimulatedCrash:
        return True
    finally:
        monkeypatch.setattr(storage, "os", os)
    return False


def test_every_crash_point_of_a_versioned_write_keeps_a_complete_copy(tmp_path, monkeypatch):
    rehearsal = CrashingOs()
    _write_both_generations(tmp_path / "rehearsal" / "a.json", monkeypatch, rehearsal)
    # The new copy is durable once the first temp file (the backup's) has been fsynced.
    durable_from = rehearsal.calls.index("fsync") + 1
    points = [(i, False) for i in range(len(rehearsal.calls))]
    points += [(i, True) for i, op in enumerate(rehearsal.calls) if op == "write"]
    assert len(points) >= 12, rehearsal.calls

    for crash_at, torn in points:
        where = f"crash before call {crash_at} ({rehearsal.calls[crash_at]}, torn={torn})"
        path = tmp_path / f"at-{crash_at}-{torn}" / "a.json"
        assert _write_both_generations(path, monkeypatch, CrashingOs(crash_at, torn=torn)), where

        newest = storage.read_versioned(path)
        assert newest is not None, where
        expected = "two" if crash_at >= durable_from else "one"
        if crash_at >= durable_from:
            assert newest.value == {"refresh_token": "two"}, where
        else:
            assert newest.value in ({"refresh_token": "one"}, {"refresh_token": "two"}), where
        assert storage.read_json(path, use_backup=True) == newest.value, where

        recovered = storage.recover(path)
        assert recovered is not None and recovered.value == newest.value, where
        assert storage.temp_copies(path) == [], where
        main = json.loads(path.read_text())
        backup = json.loads(storage.backup_path(path).read_text())
        assert main == backup and main["refresh_token"] in (expected, "two"), where

        # Writing on afterwards gives a generation above every copy that ever existed.
        storage.write_versioned(path, {"refresh_token": "three"})
        assert storage.read_json(path, use_backup=True) == {"refresh_token": "three"}, where


def test_a_completed_temp_file_of_the_backup_is_the_newest_copy(tmp_path):
    path = tmp_path / "oura.json"
    storage.write_versioned(path, {"refresh_token": "one"})
    leftover = tmp_path / ".oura.json.bak.k3j2h1.tmp"
    leftover.write_text(json.dumps({"refresh_token": "two", "generation": 2}))
    (tmp_path / ".oura.json.q9w8e7.tmp").write_text('{"refresh_token": "thr')  # torn
    assert storage.read_json(path, use_backup=True) == {"refresh_token": "two"}
    storage.recover(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["oura.json", "oura.json.bak"]
    assert storage.read_json(path) == {"refresh_token": "two", "generation": 3}


def test_on_equal_generations_the_file_beats_its_backup(tmp_path):
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"v": "main", "generation": 4}))
    storage.backup_path(path).write_text(json.dumps({"v": "backup", "generation": 4}))
    assert storage.read_json(path, use_backup=True) == {"v": "main"}


def test_files_written_before_generations_existed_still_read(tmp_path):
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"v": "main"}))
    storage.backup_path(path).write_text(json.dumps({"v": "backup"}))
    assert storage.read_json(path, use_backup=True) == {"v": "main"}
    storage.write_versioned(path, {"v": "new"})
    assert json.loads(path.read_text())["generation"] == 1
