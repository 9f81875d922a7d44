"""store/files.py promises written so a mistake in them fails a test: big documents read
whole, a finished temp file kept when the rename fails, generations counted, recovery
handing back what it recovered, and only the document's own copies reported as damaged."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from oura_addon.store import files as storage


def test_a_document_of_several_mebibytes_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    document = {"values": ["x" * 1000] * 3000}  # about 3 MiB: several reads
    path.write_text(json.dumps(document))
    assert storage.load_document(path) == document
    assert storage.read_document_text(path) == path.read_text()


def test_generations_count_up_and_recovery_returns_the_newest(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    assert [storage.write_versioned(path, {"n": n}) for n in range(3)] == [1, 2, 3]
    recovered = storage.recover(path)
    assert recovered is not None
    assert (recovered.value, recovered.generation, recovered.source) == ({"n": 2}, 3, path)
    storage.backup_path(path).write_text("{torn")
    repaired = storage.recover(path)
    assert repaired is not None and repaired.value == {"n": 2}
    assert json.loads(storage.backup_path(path).read_text())["n"] == 2


def test_a_finished_temp_file_stays_when_the_rename_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_rename(*_args: object) -> None:
        raise OSError(5, "I/O error")

    monkeypatch.setattr(storage.os, "replace", no_rename)
    path = tmp_path / "doc.json"
    with pytest.raises(OSError):
        storage.atomic_write_bytes(path, b'{"kept": 1}', keep_finished_temp=True)
    (temp,) = storage.temp_copies(path)
    assert json.loads(temp.read_text()) == {"kept": 1}
    assert oct(temp.stat().st_mode & 0o777) == oct(storage.PRIVATE_MODE)
    with pytest.raises(OSError):
        storage.atomic_write_bytes(path, b'{"gone": 1}')
    assert storage.temp_copies(path) == [temp]  # without the flag nothing is left


def test_only_the_file_and_its_backup_are_reported_damaged(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    storage.write_versioned(path, {"n": 1})
    (tmp_path / ".doc.json.abc123.tmp").write_text("{unfinished")
    assert storage.read_versioned(path).problems == ()
    path.write_text("{torn")
    newest = storage.read_versioned(path)
    assert newest.value == {"n": 1} and newest.source == storage.backup_path(path)
    assert len(newest.problems) == 1 and newest.problems[0].startswith("doc.json:")
    storage.backup_path(path).write_text("[]")
    with pytest.raises(storage.CorruptFileError) as refused:
        storage.read_versioned(path, lambda raw: raw["n"])
    assert "doc.json:" in str(refused.value) and "doc.json.bak:" in str(refused.value)


def test_a_backed_up_document_must_be_an_object(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        storage.write_json(tmp_path / "doc.json", [1, 2], keep_backup=True)
    storage.write_json(tmp_path / "doc.json", {"a": 1}, keep_backup=True)
    assert storage.read_json(tmp_path / "doc.json", use_backup=True) == {"a": 1}


def test_written_files_are_private_utf8_json(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    storage.write_json(path, {"name": "Bjørn"})
    assert path.read_bytes().decode("utf-8") == json.dumps({"name": "Bjørn"}, indent=2)
    assert os.stat(path).st_mode & 0o777 == 0o600


def test_the_log_says_which_copy_won(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    storage.write_versioned(path, {"n": 1})
    assert storage.read_versioned(path).source_label == "the file"
    path.unlink()
    assert storage.read_versioned(path).source_label == "the backup"
    storage.backup_path(path).rename(tmp_path / ".doc.json.abc123.tmp")
    newest = storage.read_versioned(path)
    assert newest.source_label == "the copy an interrupted write left"
    assert newest.value == {"n": 1}  # without its generation
    assert newest.generation == 1


def test_nesting_is_measured_outside_strings() -> None:
    assert storage.json_depth("5") == 0
    assert storage.json_depth('"[[[["') == 0
    assert storage.json_depth('{"a": [1, {"b": []}]}') == 4
    assert storage.json_depth('["]", ["\\\\"]]') == 2


def test_a_versioned_file_reads_back_what_it_wrote(tmp_path: Path) -> None:
    document = storage.VersionedFile(tmp_path / "token_urls.json")
    assert document.read() is None
    document.write({"client": "https://example.invalid/token"})
    assert document.read() == {"client": "https://example.invalid/token"}
    assert storage.read_versioned(document.path).value == document.read()


def test_a_hard_link_where_a_document_belongs_is_replaced_not_followed(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    outside = tmp_path / "outside.json"
    outside.write_text('{"keep": true}')
    os.link(outside, path)
    storage.write_versioned(path, {"n": 1})
    assert json.loads(outside.read_text()) == {"keep": True}  # the other file is untouched
    assert storage.read_versioned(path).value == {"n": 1}
