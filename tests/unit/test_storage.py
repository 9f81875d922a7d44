import os
import stat

import pytest

from oura_addon import storage


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
    storage.write_json(path, [1], keep_backup=True)
    storage.delete_with_backup(path)
    assert list(tmp_path.iterdir()) == []
