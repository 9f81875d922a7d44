"""What a user reads when /data is damaged, word for word: the reason in the panel and the
file's name before it in the log. And the edges of the reader a user would run into: a
document of exactly the size bound, one nested deep after a shallow sibling, a copy written
by an earlier version of the add-on, a file of a system user."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from oura_addon.store import files as storage
from tests.unit.store.test_damaged_files import _deep, _plant

SENTENCES = {
    "symlink": "it is a link, not a file",
    "hardlink": "it is a link to a file the add-on did not write",
    "fifo": "it is a pipe, a device or a folder, not a file",
    "device": "it is a link, not a file",
    "directory": "it is a pipe, a device or a folder, not a file",
    "huge": "it is larger than 16,777,216 bytes",
    "not_utf8": "it is not UTF-8 text",
    "deep": "it nests deeper than 32 levels",
    "long_int": "it holds a number too large to read",
    "not_json": (
        "it is not valid JSON (Expecting property name enclosed in double quotes at line 1)"
    ),
    "other_owner": "it belongs to another user",
}


@pytest.mark.parametrize("kind", sorted(SENTENCES))
def test_each_damage_is_named_with_its_sentence_after_the_file_name(
    tmp_path: Path, kind: str
) -> None:
    path = tmp_path / "doc.json"
    _plant(path, kind)
    with pytest.raises(storage.UnusableFile) as refused:
        storage.load_document(path)
    assert str(refused.value.reason) == SENTENCES[kind]
    assert str(refused.value) == f"doc.json: {SENTENCES[kind]}"  # the log line


def test_a_file_that_cannot_be_opened_says_what_the_system_said(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    os.mknod(path, stat.S_IFSOCK | 0o600)  # a socket: opening it fails with ENXIO
    with pytest.raises(storage.UnusableFile) as refused:
        storage.load_document(path)
    assert str(refused.value) == "doc.json: No such device or address"


@pytest.mark.parametrize("owner", [1, 12345])
def test_a_file_of_another_user_is_refused_even_a_system_user(tmp_path: Path, owner: int) -> None:
    if os.geteuid() != 0:
        pytest.skip("giving a file to another user needs root")
    path = tmp_path / "doc.json"
    path.write_text('{"poll_interval": 5}')
    os.chown(path, owner, owner)
    with pytest.raises(storage.UnusableFile, match="another user"):
        storage.load_document(path)
    os.chown(path, 0, 0)  # the Supervisor's own files (options.json) are read
    assert storage.load_document(path) == {"poll_interval": 5}


def test_a_file_of_exactly_the_size_bound_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    path.write_text('"' + "x" * 8 + '"')  # 10 bytes
    assert storage.read_document_text(path, limit=10) == '"xxxxxxxx"'
    path.write_text('"' + "x" * 9 + '"')
    with pytest.raises(storage.UnusableFile) as refused:
        storage.read_document_text(path, limit=10)
    assert str(refused.value.reason) == "it is larger than 10 bytes"


def test_deep_nesting_after_a_shallow_sibling_is_still_refused(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    path.write_text("[[], " + _deep(storage.MAX_JSON_DEPTH - 1) + "]")
    assert len(storage.load_document(path)) == 2
    path.write_text("[[], " + _deep(storage.MAX_JSON_DEPTH) + "]")
    with pytest.raises(storage.UnusableFile, match="nests deeper than 32 levels"):
        storage.load_document(path)


def test_an_unreadable_document_names_each_damaged_copy_in_the_log(tmp_path: Path) -> None:
    path = tmp_path / "published.json"
    path.write_text("{torn")
    storage.backup_path(path).write_bytes(b"\xff")
    with pytest.raises(storage.CorruptFileError) as refused:
        storage.read_json(path, use_backup=True)
    assert str(refused.value) == (
        "published.json is unreadable or corrupt ("
        "published.json: it is not valid JSON (Expecting property name enclosed in double "
        "quotes at line 1); published.json.bak: it is not UTF-8 text)"
    )


def test_copies_written_by_an_earlier_version_are_ranked_by_their_generation(
    tmp_path: Path,
) -> None:
    path = tmp_path / "tokens.json"
    path.write_text(json.dumps({"refresh_token": "spent", "generation": 6}))
    storage.backup_path(path).write_text(json.dumps({"refresh_token": "newest", "generation": 7}))
    assert storage.read_json(path, use_backup=True) == {"refresh_token": "newest"}
    storage.write_versioned(path, {"refresh_token": "next"})
    assert json.loads(path.read_text()) == {"refresh_token": "next", "generation": 8}


def test_a_full_data_keeps_its_sentence_when_named_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*_args: object, **_kwargs: object) -> tuple[int, str]:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage.tempfile, "mkstemp", full)
    with pytest.raises(storage.DataNotWritable) as refused:
        storage.write_json(tmp_path / "x.json", {"a": 1})
    named = storage.not_writable(refused.value)
    assert named is not None and named.user_message == storage.FULL_MESSAGE


class FailingDisk:
    """``storage``'s view of ``os`` on a disk whose ``failing`` call reports an I/O error."""

    def __init__(self, failing: str) -> None:
        self.failing = failing

    def __getattr__(self, name: str) -> object:
        real = getattr(os, name)
        if name != self.failing:
            return real

        def fail(*args: object) -> object:
            if name == "close":
                real(*args)  # the descriptor is gone, as after a real failed close
            raise OSError(5, "Input/output error")

        return fail


def test_a_read_error_is_named_with_the_system_s_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "doc.json"
    path.write_text("{}")
    monkeypatch.setattr(storage, "os", FailingDisk("read"))
    with pytest.raises(storage.UnusableFile) as refused:
        storage.load_document(path)
    assert str(refused.value) == "doc.json: Input/output error"


def test_copies_that_fail_to_close_are_named_with_the_system_s_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "doc.json"
    storage.write_versioned(path, {"n": 1})
    monkeypatch.setattr(storage, "os", FailingDisk("close"))
    with pytest.raises(storage.CorruptFileError) as refused:
        storage.read_versioned(path)
    assert str(refused.value) == (
        "doc.json is unreadable or corrupt "
        "(doc.json: Input/output error; doc.json.bak: Input/output error)"
    )


def _refuse_silently(raw: object) -> object:
    raise ValueError


@pytest.mark.parametrize(
    ("parse", "reason"),
    [
        (lambda raw: int(raw["n"]), "invalid literal for int() with base 10: 'x'"),
        (_refuse_silently, "ValueError"),
    ],
)
def test_a_copy_its_store_refuses_is_named_with_the_store_s_reason(
    tmp_path: Path, parse: object, reason: str
) -> None:
    path = tmp_path / "doc.json"
    path.write_text(json.dumps({"n": "x", "generation": 1}))
    with pytest.raises(storage.CorruptFileError) as refused:
        storage.read_versioned(path, parse)  # type: ignore[arg-type]
    assert str(refused.value) == f"doc.json is unreadable or corrupt (doc.json: {reason})"


def test_a_document_that_is_not_an_object_reads_back_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    path.write_text("[1, 2]")
    assert storage.read_json(path, use_backup=True) == [1, 2]


def test_the_first_write_creates_the_folders_it_needs(tmp_path: Path) -> None:
    path = tmp_path / "accounts" / "me" / "doc.json"
    storage.write_json(path, {"a": 1}, keep_backup=True)
    assert storage.read_json(path, use_backup=True) == {"a": 1}


def test_a_write_that_fails_half_way_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "doc.json"
    storage.write_versioned(path, {"n": 1})
    monkeypatch.setattr(storage, "os", FailingDisk("fsync"))
    with pytest.raises(OSError):
        storage.write_versioned(path, {"n": 2})
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc.json", "doc.json.bak"]
    assert storage.read_json(path, use_backup=True) == {"n": 1}


def test_a_new_token_survives_a_failed_rename_of_its_backup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "tokens.json"
    storage.write_versioned(path, {"refresh_token": "spent"})
    monkeypatch.setattr(storage, "os", FailingDisk("replace"))
    with pytest.raises(OSError):
        storage.write_versioned(path, {"refresh_token": "fresh"})
    monkeypatch.undo()
    assert storage.read_json(path, use_backup=True) == {"refresh_token": "fresh"}


def test_documents_are_written_with_their_keys_in_order(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    storage.write_versioned(path, {"zone": "Europe/Oslo", "account": "me"})
    assert path.read_text() == (
        '{\n  "account": "me",\n  "generation": 1,\n  "zone": "Europe/Oslo"\n}'
    )


def test_a_folder_where_a_document_belongs_is_set_aside_with_its_contents(
    tmp_path: Path,
) -> None:
    path = tmp_path / "doc.json"
    path.mkdir()
    (path / "kept.txt").write_text("mine")
    storage.write_versioned(path, {"n": 1})
    assert storage.read_json(path) == {"n": 1, "generation": 1}
    assert (tmp_path / ".doc.json.not-a-file" / "kept.txt").read_text() == "mine"


def test_only_an_object_can_be_written_with_a_backup(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"^a backed-up document must be a JSON object$"):
        storage.write_json(tmp_path / "doc.json", ["a"], keep_backup=True)


def test_a_failed_rename_of_the_file_leaves_a_second_copy_of_the_new_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "tokens.json"
    storage.write_versioned(path, {"refresh_token": "spent"})
    renames = 0
    real_replace = os.replace

    def second_rename_fails(source: str, target: Path) -> None:
        nonlocal renames
        renames += 1
        if renames == 2:
            raise OSError(5, "Input/output error")
        real_replace(source, target)

    monkeypatch.setattr(storage.os, "replace", second_rename_fails)
    with pytest.raises(OSError):
        storage.write_versioned(path, {"refresh_token": "fresh"})
    monkeypatch.undo()
    assert json.loads(storage.backup_path(path).read_text())["refresh_token"] == "fresh"
    storage.backup_path(path).write_text("{torn")  # the backup is lost as well
    assert storage.read_json(path, use_backup=True) == {"refresh_token": "fresh"}
