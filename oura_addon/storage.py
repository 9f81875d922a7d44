"""The one way the add-on writes to /data: atomic, private, with a backup to fall back on."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

PRIVATE_MODE = 0o600


class CorruptFileError(Exception):
    """Neither the file nor its backup holds valid JSON."""


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes, mode: int = PRIVATE_MODE) -> None:
    """Write ``data`` so that readers see the old file or the new one, never a torn one.

    Temp file in the same directory, fsync, rename over the target, fsync the directory.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def write_json(path: Path, value: Any, *, keep_backup: bool = False) -> None:
    """Atomically write ``value`` as JSON (mode 0600).

    With ``keep_backup`` the new content is first written to ``<name>.bak`` and then to the
    file itself, so at every instant at least one of the two holds a complete, current copy.
    The backup holds the newest content, not the one before: Oura's refresh tokens are single
    use, so an older copy would only hold a token that is already spent.
    """
    data = json.dumps(value, indent=2, sort_keys=True).encode("utf-8")
    if keep_backup:
        atomic_write_bytes(backup_path(path), data)
    atomic_write_bytes(path, data)


def read_json(path: Path, *, use_backup: bool = False) -> Any:
    """Read JSON from ``path``; ``None`` when absent.

    With ``use_backup`` a corrupt or unreadable file falls back to ``<name>.bak``.
    Raises CorruptFileError when nothing valid is left.
    """
    candidates = [path, backup_path(path)] if use_backup else [path]
    found_any = False
    for candidate in candidates:
        try:
            text = candidate.read_text(encoding="utf-8")
        except FileNotFoundError:
            continue
        except OSError:
            found_any = True
            continue
        found_any = True
        try:
            return json.loads(text)
        except ValueError:
            continue
    if found_any:
        raise CorruptFileError(f"{path.name} is unreadable or corrupt")
    return None


def delete_with_backup(path: Path) -> None:
    for candidate in (path, backup_path(path)):
        candidate.unlink(missing_ok=True)
