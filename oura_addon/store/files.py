"""The one way the add-on writes to /data: atomic, private, and never losing the newest copy.

A document written with ``keep_backup`` exists up to three ways: the file, ``<name>.bak``
and, after a crash, a finished temp file ``.<name>[.bak].<random>.tmp``. Each carries a
``generation`` (one more than the newest copy on disk at write time), and every read takes
the newest complete copy, whichever file holds it. Oura's refresh tokens are single use, so
an older copy only holds a token that is already spent.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import Any, Generic, TypeVar

from oura_addon.errors import AddonError
from oura_addon.i18n import Number, Text, _l

PRIVATE_MODE = 0o600
GENERATION_KEY = "generation"
# No document the add-on writes comes near these; a file beyond them is not its own.
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_JSON_DEPTH = 32
READ_CHUNK = 1 << 20  # any size reads the same bytes  # pragma: no mutate

T = TypeVar("T")  # the name only shows in type errors  # pragma: no mutate


class CorruptFileError(ValueError):
    """No copy of the file holds a valid document."""


class UnusableFile(CorruptFileError):
    """One file the add-on refuses to read; ``reason`` says why, as a translatable phrase."""

    def __init__(self, path: Path, reason: Text) -> None:
        super().__init__(f"{path.name}: {reason}")
        self.path = path
        self.reason = reason


FULL_MESSAGE = _l(
    "The add-on's storage (/data) is full: nothing new can be saved, and nothing already "
    "stored is lost. Free some space on the Home Assistant host."
)
READ_ONLY_MESSAGE = _l(
    "The add-on's storage (/data) is read-only: nothing new can be saved, and nothing "
    "already stored is lost. Repair the host's disk or restart the add-on."
)
# Below this much free space a write is refused before it starts (a half-written
# document would be thrown away anyway).
MIN_FREE_BYTES = 64 * 1024
_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


class DataNotWritable(AddonError, OSError):
    """/data is full or read-only: a named condition with its sentence, not a crash."""

    def __init__(self, code: int) -> None:
        super().__init__(FULL_MESSAGE if code in _FULL_ERRNOS else READ_ONLY_MESSAGE)
        self.errno = code


def not_writable(err: OSError) -> DataNotWritable | None:
    """``err`` as the named condition when it means /data is full or read-only."""
    if isinstance(err, DataNotWritable):
        return err
    if err.errno in _FULL_ERRNOS or err.errno == errno.EROFS:
        return DataNotWritable(err.errno)
    return None


def storage_condition(directory: Path) -> DataNotWritable | None:
    """Whether ``directory``'s file system is read-only or full; None when it takes writes."""
    try:
        info = os.statvfs(directory)
    except OSError:
        return None
    if info.f_flag & os.ST_RDONLY:
        return DataNotWritable(errno.EROFS)
    if info.f_bavail * info.f_frsize < MIN_FREE_BYTES:
        return DataNotWritable(errno.ENOSPC)
    return None


# JSON strings (with their escapes) hold no structure: left out when measuring the nesting.
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(r"[\[\]{}]")


def json_depth(text: str) -> int:
    """How deep the arrays and objects of a JSON text nest (0 for a bare value)."""
    brackets = _BRACKET.findall(_JSON_STRING.sub("", text))
    return max(accumulate(1 if b in "[{" else -1 for b in brackets), default=0)


def read_document_text(path: Path, *, limit: int = MAX_FILE_BYTES) -> str:
    """The text of a file the add-on wrote itself: the one way /data is read.

    Raises FileNotFoundError when absent and UnusableFile for a link, a pipe, a device,
    someone else's file, a file larger than ``limit`` or one that is not UTF-8.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise
    except OSError as err:
        if err.errno == 40:  # ELOOP: a symbolic link, refused by O_NOFOLLOW
            raise UnusableFile(path, _l("it is a link, not a file")) from None
        raise UnusableFile(path, Text(err.strerror or type(err).__name__)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnusableFile(path, _l("it is a pipe, a device or a folder, not a file"))
        if info.st_nlink != 1:
            raise UnusableFile(path, _l("it is a link to a file the add-on did not write"))
        # Our own files, or the Supervisor's (root): options.json, a restored backup.
        if info.st_uid not in (os.geteuid(), 0):
            raise UnusableFile(path, _l("it belongs to another user"))
        if info.st_size > limit:
            raise UnusableFile(path, _l("it is larger than %(limit)s bytes", limit=Number(limit)))
        data = b""
        while len(data) <= limit:
            chunk = os.read(fd, min(READ_CHUNK, limit + 1 - len(data)))
            if not chunk:
                break
            data += chunk
        if len(data) > limit:
            raise UnusableFile(path, _l("it is larger than %(limit)s bytes", limit=Number(limit)))
    except OSError as err:
        raise UnusableFile(path, Text(err.strerror or type(err).__name__)) from None
    finally:
        os.close(fd)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UnusableFile(path, _l("it is not UTF-8 text")) from None


def parse_document(path: Path, text: str) -> Any:
    """JSON within the nesting bound; UnusableFile saying why not."""
    if json_depth(text) > MAX_JSON_DEPTH:
        raise UnusableFile(
            path, _l("it nests deeper than %(depth)s levels", depth=Number(MAX_JSON_DEPTH))
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise UnusableFile(
            path,
            _l(
                "it is not valid JSON (%(error)s at line %(line)s)",
                error=err.msg,
                line=Number(err.lineno),
            ),
        ) from None
    except (ValueError, RecursionError):  # e.g. an integer of more than 4300 digits
        raise UnusableFile(path, _l("it holds a number too large to read")) from None


def load_document(path: Path, shape: Callable[[Any], T] = lambda raw: raw) -> T:
    """Read, parse and check one JSON file; ``shape`` raises ValueError to refuse it.

    Raises FileNotFoundError when absent and UnusableFile (a CorruptFileError) otherwise.
    """
    raw = parse_document(path, read_document_text(path))
    try:
        return shape(raw)
    except (ValueError, TypeError, KeyError, AttributeError) as err:
        raise UnusableFile(
            path, _l("it does not have the expected shape (%(detail)s)", detail=str(err)[:200])
        ) from None


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
    A full or read-only /data raises DataNotWritable; the old file is then left as it was.
    """
    try:
        _atomic_write(path, data, mode, keep_finished_temp)
    except OSError as err:
        named = not_writable(err)
        if named is None or named is err:
            raise
        raise named from err


def _atomic_write(path: Path, data: bytes, mode: int, keep_finished_temp: bool) -> None:
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
    # Exactly what mkstemp makes for this file or its backup: never another document's.
    own = re.compile(rf"\.{re.escape(path.name)}\.(?:bak\.)?[a-z0-9_]+\.tmp")
    return sorted(p for p in path.parent.iterdir() if own.fullmatch(p.name))


def _encode(value: Any) -> bytes:
    return json.dumps(value, indent=2, sort_keys=True).encode("utf-8")


@dataclass(frozen=True)  # nothing assigns to it  # pragma: no mutate
class Versioned(Generic[T]):
    """The newest complete copy of a document, where it came from, and what was skipped."""

    value: T
    generation: int
    source: Path
    problems: tuple[str, ...] = ()
    temps: tuple[Path, ...] = field(default=(), repr=False)  # debug only  # pragma: no mutate

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
            raw = parse_document(candidate, read_document_text(candidate))
            value = parse(_without_generation(raw))
        except FileNotFoundError:
            continue
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as err:
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
    if isinstance(err, UnusableFile):
        return str(err.reason)
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
    for copy in (backup_path(path), path):
        _set_aside_if_not_a_file(copy)
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
        raw = parse_document(newest.source, read_document_text(newest.source))
        write_versioned(path, _without_generation(raw))
        for temp in temp_copies(path):
            temp.unlink(missing_ok=True)
        return read_versioned(path, parse)
    return newest


def _set_aside_if_not_a_file(path: Path) -> None:
    """A link, pipe, device or folder where a document belongs: moved out of the way (a
    folder) or removed (the rest), so the next write can put the document there."""
    try:
        info = path.lstat()
    except OSError:
        return
    if stat.S_ISREG(info.st_mode) and info.st_nlink == 1:
        return
    try:
        if stat.S_ISDIR(info.st_mode):
            path.rename(path.with_name(f".{path.name}.not-a-file"))
        else:
            path.unlink()
    except OSError:
        return


def _generation_at(path: Path) -> int | None:
    try:
        return _generation(parse_document(path, read_document_text(path)))
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


def read_json(
    path: Path, *, use_backup: bool = False, shape: Callable[[Any], Any] | None = None
) -> Any:
    """Read JSON from ``path``; ``None`` when absent.

    With ``use_backup`` the newest complete copy wins (file, backup or finished temp file),
    without its generation. ``shape`` checks the document (ValueError/TypeError refuse it)
    and returns what the caller gets. Raises CorruptFileError when nothing valid is left.
    """
    check = shape or _as_is
    if use_backup:
        newest: Versioned[Any] | None = read_versioned(path, check)
        return newest.value if newest else None
    try:
        return load_document(path, check)
    except FileNotFoundError:
        return None


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
