"""The one way the add-on writes to /data: atomic, private, and never losing the newest copy.

A document written with ``keep_backup`` exists up to three ways: the file, ``<name>.bak``
and, after a crash, a finished temp file ``.<name>[.bak].<random>.tmp``. Each carries a
``generation`` (one more than the newest copy on disk at write time), and every read takes
the newest complete copy, whichever file holds it. Oura's refresh tokens are single use, so
an older copy only holds a token that is already spent.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

PRIVATE_MODE = 0o600
GENERATION_KEY = "generation"

T = TypeVar("T")


class CorruptFileError(ValueError):
    """No copy of the file holds a valid document."""


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def atomic_write_bytes(
    path: Path, data: bytes, mode: int = PRIVATE_MODE, *, keep_finished_temp: bool = False
) -> None:
    """Write ``data`` so that readers see the old file or the new one, never a torn one.

    Temp file in the same directory, fsync, rename over the target, fsync the directory.
    With ``keep_finished_temp`` a completely written temp file stays if the rename fails:
    it may hold the only copy of a new token pair, and readers of versioned files use it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    complete = False
    try:
        try:
            os.fchmod(fd, mode)
            _write_all(fd, data)
            os.fsync(fd)
            complete = True
        finally:
            os.close(fd)
        os.replace(tmp_name, path)
    except Exception:
        if not (complete and keep_finished_temp):
            Path(tmp_name).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def temp_copies(path: Path) -> list[Path]:
    """Temp files a write of ``path`` or of its backup left behind (finished or not)."""
    if not path.parent.is_dir():
        return []
    prefix = f".{path.name}."
    return sorted(
        p for p in path.parent.iterdir() if p.name.startswith(prefix) and p.name.endswith(".tmp")
    )


def _encode(value: Any) -> bytes:
    return json.dumps(value, indent=2, sort_keys=True).encode("utf-8")


@dataclass(frozen=True)
class Versioned(Generic[T]):
    """The newest complete copy of a document, where it came from, and what was skipped."""

    value: T
    generation: int
    source: Path
    problems: tuple[str, ...] = ()
    temps: tuple[Path, ...] = field(default=(), repr=False)

    @property
    def source_label(self) -> str:
        """Which copy won, for a log line."""
        if self.source.name.endswith(".bak"):
            return "the backup"
        if self.source.name.endswith(".tmp"):
            return "the copy an interrupted write left"
        return "the file"


def _as_is(raw: Any) -> Any:
    return raw


def _generation(raw: Any) -> int:
    number = raw.get(GENERATION_KEY) if isinstance(raw, Mapping) else None
    return number if isinstance(number, int) and not isinstance(number, bool) else 0


def _without_generation(raw: Any) -> Any:
    if isinstance(raw, Mapping):
        return {k: v for k, v in raw.items() if k != GENERATION_KEY}
    return raw


def read_versioned(path: Path, parse: Callable[[Any], T] = _as_is) -> Versioned[T] | None:
    """The newest copy that is valid JSON and that ``parse`` accepts; None when none exists.

    ``parse`` gets the document without its generation and raises ValueError to reject it.
    On equal generations the file beats its backup, which beats a temp file.
    Raises CorruptFileError when copies exist but none can be used.
    """
    temps = temp_copies(path)
    candidates = [path, backup_path(path), *temps]
    problems: list[str] = []
    best: tuple[int, int, T, Path] | None = None
    for rank, candidate in enumerate(candidates):
        try:
            raw = json.loads(candidate.read_text(encoding="utf-8"))
            value = parse(_without_generation(raw))
        except FileNotFoundError:
            continue
        except (OSError, ValueError) as err:
            if candidate in (path, backup_path(path)):
                problems.append(f"{candidate.name}: {_describe(err)}")
            continue  # an unfinished temp file is expected after a crash: not a problem
        key = (_generation(raw), -rank)
        if best is None or key > best[:2]:
            best = (key[0], key[1], value, candidate)
    if best is None:
        if problems:
            raise CorruptFileError(f"{path.name} is unreadable or corrupt ({'; '.join(problems)})")
        return None
    return Versioned(best[2], best[0], best[3], tuple(problems), tuple(temps))


def _describe(err: BaseException) -> str:
    if isinstance(err, json.JSONDecodeError):
        return "not valid JSON"
    if isinstance(err, UnicodeDecodeError):
        return "not text"
    if isinstance(err, OSError):
        return err.strerror or type(err).__name__
    return str(err) or type(err).__name__


def write_versioned(path: Path, value: Mapping[str, Any]) -> int:
    """Write ``value`` as the next generation to the backup, then the file; return it.

    At every instant one complete copy holds the newest content: before the backup is
    renamed, its finished temp file does; between the two renames, the backup does.
    """
    newest: Versioned[Any] | None
    try:
        newest = read_versioned(path)
    except CorruptFileError:
        newest = None
    generation = (newest.generation if newest else 0) + 1
    data = _encode({**value, GENERATION_KEY: generation})
    atomic_write_bytes(backup_path(path), data, keep_finished_temp=True)
    atomic_write_bytes(path, data, keep_finished_temp=True)
    return generation


def recover(path: Path, parse: Callable[[Any], T] = _as_is) -> Versioned[T] | None:
    """Make the file and its backup hold the newest copy, then remove temp files.

    Call it at start-up, or while holding the lock every writer of ``path`` holds: a write
    in progress in this process has a temp file too.
    """
    try:
        newest = read_versioned(path, parse)
    except CorruptFileError:
        return None
    if newest is None:
        return None
    if (
        newest.source != path
        or newest.temps
        or newest.problems
        or _generation_at(backup_path(path)) != newest.generation
    ):
        raw = json.loads(newest.source.read_text(encoding="utf-8"))
        write_versioned(path, _without_generation(raw))
        for temp in temp_copies(path):
            temp.unlink(missing_ok=True)
        return read_versioned(path, parse)
    return newest


def _generation_at(path: Path) -> int | None:
    try:
        return _generation(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def write_json(path: Path, value: Any, *, keep_backup: bool = False) -> None:
    """Atomically write ``value`` as JSON (mode 0600).

    With ``keep_backup`` the value must be an object: it is written as a versioned document
    (see ``write_versioned``) and read back with ``read_json(..., use_backup=True)``.
    """
    if keep_backup:
        if not isinstance(value, Mapping):
            raise TypeError("a backed-up document must be a JSON object")
        write_versioned(path, value)
        return
    atomic_write_bytes(path, _encode(value))


def read_json(path: Path, *, use_backup: bool = False) -> Any:
    """Read JSON from ``path``; ``None`` when absent.

    With ``use_backup`` the newest complete copy wins (file, backup or finished temp file),
    without its generation. Raises CorruptFileError when nothing valid is left.
    """
    if use_backup:
        newest: Versioned[Any] | None = read_versioned(path)
        return newest.value if newest else None
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as err:
        raise CorruptFileError(f"{path.name} is unreadable ({_describe(err)})") from err
    try:
        return json.loads(text)
    except ValueError as err:
        raise CorruptFileError(f"{path.name} is corrupt ({_describe(err)})") from err


def delete_with_backup(path: Path) -> None:
    for candidate in (path, backup_path(path), *temp_copies(path)):
        candidate.unlink(missing_ok=True)


class VersionedFile:
    """One versioned JSON object in /data, for a component that is handed its storage."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> Any:
        """The newest complete copy; None when absent; CorruptFileError when unusable."""
        return read_json(self.path, use_backup=True)

    def write(self, value: Mapping[str, Any]) -> None:
        write_versioned(self.path, value)
