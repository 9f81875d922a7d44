"""The account registry and token store: one private, backed-up file per account in /data.

Layout: ``<data_dir>/accounts/<name>.json`` (+ ``.bak``), written only through
``storage.write_json``. Token strings leave this module only through ``tokens()``,
``access_token()`` and ``token_provider()``; everything else sees an ``Account`` view.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from .errors import AddonError, user_message
from .oura.errors import InvalidGrant
from .oura.tokens import TokenSet
from .states import entity_prefix
from .storage import CorruptFileError, backup_path, delete_with_backup, read_json, write_json

log = logging.getLogger(__name__)


class Connection(StrEnum):
    """An account's link to Oura, as stored in its document's ``status``."""

    CONNECTED = "connected"
    NEEDS_RECONNECT = "needs_reconnect"
    NOT_CONNECTED = "not_connected"


CONNECTED = Connection.CONNECTED
NEEDS_RECONNECT = Connection.NEEDS_RECONNECT
NOT_CONNECTED = Connection.NOT_CONNECTED

FIRST_PREFIX = "oura"
ACCOUNTS_DIR_MODE = 0o700
DEFAULT_REFRESH_MARGIN = 600.0

UNREADABLE_MESSAGE = "Stored credentials are unreadable; reconnect this account."
NOT_CONNECTED_MESSAGE = "This account is not connected yet; connect it from the panel."
REFUSED_MESSAGE = "Oura refused the stored authorization; reconnect this account."

_NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,31}")

Refresh = Callable[[str], TokenSet]


class AuthLost(AddonError):
    """The account's authorization is gone; only the user reconnecting can fix it."""

    kind = "invalid_grant"

    def __init__(self, account: str, message: str) -> None:
        super().__init__(message)
        self.account = account


def validate_name(name: str) -> str:
    """Return ``name`` if it is a usable account name, else raise ValueError saying why."""
    if not isinstance(name, str) or not _NAME_PATTERN.fullmatch(name):
        raise ValueError(
            f"Account name {name!r} is not valid: use 1-32 lowercase letters, digits or "
            "underscores, starting with a letter (for example 'oura' or 'partner_2')."
        )
    return name


def _is_auth_refusal(error: BaseException) -> bool:
    return isinstance(error, AuthLost | InvalidGrant)


@dataclass(frozen=True)
class Account:
    """What the rest of the add-on may know about an account: never a token string."""

    name: str
    entity_prefix: str
    created_at: datetime | None
    email: str | None
    connection: Connection
    auth_error: str | None
    has_tokens: bool
    scopes: tuple[str, ...]
    token_expires_at: datetime | None

    @property
    def connected(self) -> bool:
        return self.connection == CONNECTED


def _parse_document(name: str, raw: Any) -> dict[str, Any]:
    """Validate one account document; raises ValueError when it cannot be trusted."""
    if not isinstance(raw, Mapping):
        raise ValueError("account document is not an object")
    if raw.get("name") != name:
        raise ValueError("account document belongs to another name")
    prefix = raw.get("entity_prefix")
    if not isinstance(prefix, str) or not prefix:
        raise ValueError("account document lacks an entity prefix")
    tokens = raw.get("tokens")
    if tokens is not None:
        if not isinstance(tokens, Mapping):
            raise ValueError("account tokens are not an object")
        TokenSet.from_json(tokens)
    email = raw.get("email")
    auth_error = raw.get("auth_error")
    return {
        "name": name,
        "entity_prefix": prefix,
        "created_at": raw.get("created_at") if isinstance(raw.get("created_at"), str) else None,
        "email": email if isinstance(email, str) else None,
        "tokens": dict(tokens) if tokens is not None else None,
        "status": raw.get("status") if isinstance(raw.get("status"), str) else None,
        "auth_error": auth_error if isinstance(auth_error, str) else None,
    }


def _connection(document: Mapping[str, Any]) -> Connection:
    if document.get("status") == NEEDS_RECONNECT:
        return NEEDS_RECONNECT
    return CONNECTED if document.get("tokens") else NOT_CONNECTED


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _account_view(document: Mapping[str, Any]) -> Account:
    tokens = TokenSet.from_json(document["tokens"]) if document.get("tokens") else None
    return Account(
        name=document["name"],
        entity_prefix=document["entity_prefix"],
        created_at=_parse_time(document.get("created_at")),
        email=document.get("email"),
        connection=_connection(document),
        auth_error=document.get("auth_error"),
        has_tokens=tokens is not None,
        scopes=tokens.scopes if tokens else (),
        token_expires_at=datetime.fromtimestamp(tokens.expires_at, UTC) if tokens else None,
    )


class TokenProvider:
    """One account's access token, as the Oura client asks for it.

    Remembers the token it handed out so a forced refresh after a 401 refreshes only if
    nobody has replaced that token in the meantime.
    """

    def __init__(self, store: AccountStore, account: str, refresh: Refresh) -> None:
        self._store = store
        self._account = account
        self._refresh = refresh
        self._lock = threading.Lock()
        self._last_handed_out: str | None = None

    @property
    def account(self) -> str:
        return self._account

    def access_token(self, force_refresh: bool = False) -> str:
        with self._lock:
            rejected = self._last_handed_out if force_refresh else None
        token = self._store.access_token(
            self._account, self._refresh, force=force_refresh, rejected=rejected
        )
        with self._lock:
            self._last_handed_out = token
        return token


class AccountStore:
    """Accounts and their tokens, safe to share between the panel threads and the scheduler."""

    def __init__(
        self,
        data_dir: Path,
        clock: Callable[[], float] = time.time,
        *,
        on_secret: Callable[[str], None] | None = None,
    ) -> None:
        self._dir = Path(data_dir) / "accounts"
        self._clock = clock
        self._on_secret = on_secret
        # Lock order: an account's lock first, then the registry lock (creation, deletion).
        self._registry_lock = threading.RLock()
        self._locks_guard = threading.Lock()
        self._account_locks: dict[str, threading.RLock] = {}
        self._reported: dict[str, str] = {}  # account -> last problem logged at warning level

    validate_name = staticmethod(validate_name)

    @property
    def directory(self) -> Path:
        return self._dir

    # ----- files ---------------------------------------------------------------------------

    def _path(self, name: str) -> Path:
        return self._dir / f"{name}.json"

    def _ensure_dir(self) -> None:
        self._dir.mkdir(parents=True, exist_ok=True, mode=ACCOUNTS_DIR_MODE)
        self._dir.chmod(ACCOUNTS_DIR_MODE)

    def _stored_names(self) -> list[str]:
        if not self._dir.is_dir():
            return []
        names = set()
        for path in self._dir.iterdir():
            stem = path.name.removesuffix(".bak")
            if not stem.endswith(".json"):
                continue
            stem = stem.removesuffix(".json")
            if _NAME_PATTERN.fullmatch(stem):
                names.add(stem)
        return sorted(names)

    def _read_document(self, name: str) -> dict[str, Any] | None:
        """The stored document, the backup when the main file is bad; None when absent.

        Raises CorruptFileError when copies exist but none of them can be trusted.
        """
        path = self._path(name)
        problems = []
        for candidate in (path, backup_path(path)):
            try:
                raw = read_json(candidate)
            except (CorruptFileError, OSError, ValueError) as err:
                problems.append(f"{candidate.name}: {type(err).__name__}")
                continue
            if raw is None:
                continue
            try:
                document = _parse_document(name, raw)
            except ValueError as err:
                problems.append(f"{candidate.name}: {err}")
                continue
            if problems:
                self._warn_once(name, f"Account {name}: {'; '.join(problems)}; using the backup")
            self._announce(document)
            return document
        if problems:
            self._warn_once(name, f"Account {name} is unreadable: {'; '.join(problems)}")
            raise CorruptFileError(UNREADABLE_MESSAGE)
        return None

    def _warn_once(self, name: str, message: str) -> None:
        # The panel lists accounts every few seconds: say it once, not on every poll.
        with self._locks_guard:
            repeated = self._reported.get(name) == message
            self._reported[name] = message
        log.log(logging.DEBUG if repeated else logging.WARNING, "%s", message)

    def _write_document(self, document: Mapping[str, Any]) -> None:
        self._ensure_dir()
        write_json(self._path(document["name"]), dict(document), keep_backup=True)

    def _announce(self, document: Mapping[str, Any]) -> None:
        tokens = document.get("tokens")
        if self._on_secret and tokens:
            self._on_secret(str(tokens.get("access_token", "")))
            self._on_secret(str(tokens.get("refresh_token", "")))

    def _unreadable_view(self, name: str, others: list[Account]) -> Account:
        # The prefix is lost with the file: assume the first one if nobody else holds it.
        taken = any(a.entity_prefix == FIRST_PREFIX for a in others if a.name != name)
        created = None
        for candidate in (self._path(name), backup_path(self._path(name))):
            try:
                created = datetime.fromtimestamp(candidate.stat().st_mtime, UTC)
                break
            except OSError:
                continue
        return Account(
            name=name,
            entity_prefix=entity_prefix(name, is_first=not taken),
            created_at=created,
            email=None,
            connection=NEEDS_RECONNECT,
            auth_error=UNREADABLE_MESSAGE,
            has_tokens=False,
            scopes=(),
            token_expires_at=None,
        )

    @contextmanager
    def _locked(self, name: str) -> Iterator[None]:
        with self._locks_guard:
            lock = self._account_locks.setdefault(name, threading.RLock())
        with lock:
            yield

    def _now_iso(self) -> str:
        return datetime.fromtimestamp(self._clock(), UTC).isoformat()

    # ----- registry ------------------------------------------------------------------------

    def list(self) -> list[Account]:
        """Every account, oldest first; unreadable ones show as needing a reconnect."""
        readable: list[Account] = []
        unreadable: list[str] = []
        for name in self._stored_names():
            try:
                document = self._read_document(name)
            except CorruptFileError:
                unreadable.append(name)
                continue
            if document is not None:
                readable.append(_account_view(document))
        accounts = readable + [self._unreadable_view(n, readable) for n in unreadable]
        epoch = datetime.fromtimestamp(0, UTC)
        return sorted(accounts, key=lambda a: (a.created_at or epoch, a.name))

    def get(self, name: str) -> Account | None:
        """The account called ``name``; None when there is none (or the name is invalid)."""
        try:
            validate_name(name)
        except ValueError:
            return None
        try:
            document = self._read_document(name)
        except CorruptFileError:
            others = [a for a in self.list() if a.name != name]
            return self._unreadable_view(name, others)
        return _account_view(document) if document is not None else None

    def create(self, name: str) -> Account:
        """Register ``name`` (idempotent). The first account gets the ``oura`` prefix."""
        validate_name(name)
        with self._registry_lock:
            existing = self.get(name)
            if existing is not None:
                return existing
            first = all(a.entity_prefix != FIRST_PREFIX for a in self.list())
            document = {
                "name": name,
                "entity_prefix": entity_prefix(name, is_first=first),
                "created_at": self._now_iso(),
                "email": None,
                "tokens": None,
                "status": NOT_CONNECTED,
                "auth_error": None,
            }
            self._write_document(document)
            log.info("Account %s created (entity prefix %s)", name, document["entity_prefix"])
            return _account_view(document)

    def delete(self, name: str) -> None:
        """Forget the account: its file and its backup."""
        validate_name(name)
        with self._locked(name), self._registry_lock:
            delete_with_backup(self._path(name))
        log.info("Account %s deleted", name)

    # ----- tokens --------------------------------------------------------------------------

    def _document_for_update(self, name: str) -> dict[str, Any]:
        """The document to modify; a fresh one when missing or unreadable (keeps the prefix)."""
        try:
            document = self._read_document(name)
        except CorruptFileError:
            document = None
        if document is not None:
            return document
        view = self.get(name) or self.create(name)
        return {
            "name": name,
            "entity_prefix": view.entity_prefix,
            "created_at": (view.created_at.isoformat() if view.created_at else self._now_iso()),
            "email": None,
            "tokens": None,
            "status": NOT_CONNECTED,
            "auth_error": None,
        }

    def save_tokens(self, name: str, tokens: TokenSet, email: str | None = None) -> Account:
        """Store a freshly granted token pair (connect or reconnect); clears any auth error."""
        validate_name(name)
        with self._locked(name):
            document = self._document_for_update(name)
            document.update(tokens=tokens.to_json(), status=CONNECTED, auth_error=None)
            if email is not None:
                document["email"] = email
            self._announce(document)
            self._write_document(document)
        log.info("Account %s connected", name)
        return _account_view(document)

    def set_email(self, name: str, email: str | None) -> Account | None:
        """Record the account's e-mail address without touching its tokens.

        Use this rather than ``save_tokens(name, tokens(name), email)``: a refresh between
        those two calls would otherwise be overwritten by the spent pair.
        """
        validate_name(name)
        with self._locked(name):
            try:
                document = self._read_document(name)
            except CorruptFileError:
                return None
            if document is None:
                return None
            document["email"] = email
            self._write_document(document)
        return _account_view(document)

    def mark_auth_lost(self, name: str, message: str) -> Account | None:
        """The authorization was refused: drop the dead tokens and ask for a reconnect.

        Does nothing (returns None) for an account that no longer exists: a sync that
        finishes after the user removed the account must not bring it back.
        """
        validate_name(name)
        with self._locked(name):
            if self.get(name) is None:
                return None
            document = self._document_for_update(name)
            document.update(tokens=None, status=NEEDS_RECONNECT, auth_error=message)
            self._write_document(document)
        log.warning("Account %s needs to be reconnected: %s", name, message)
        return _account_view(document)

    def tokens(self, name: str) -> TokenSet | None:
        """The stored token pair; None when absent, unreadable or the name is invalid."""
        try:
            validate_name(name)
            document = self._read_document(name)
        except (CorruptFileError, ValueError):
            return None
        if document is None or not document.get("tokens"):
            return None
        return TokenSet.from_json(document["tokens"])

    def access_token(
        self,
        name: str,
        refresh: Refresh,
        *,
        force: bool = False,
        margin: float = DEFAULT_REFRESH_MARGIN,
        rejected: str | None = None,
    ) -> str:
        """A usable access token, refreshed ahead of expiry (or when ``force``).

        ``rejected`` is the access token the caller saw refused; if the stored one already
        differs, another caller refreshed and that one is returned. Without it, the token
        seen at the start of this call plays that role. Raises AuthLost when the account
        needs a reconnect; other refresh errors propagate and leave the stored pair as is.
        """
        validate_name(name)
        seen = rejected
        if force and seen is None:
            before = self.tokens(name)
            seen = before.access_token if before else None
        with self._locked(name):
            try:
                document = self._read_document(name)
            except CorruptFileError as err:
                raise AuthLost(name, UNREADABLE_MESSAGE) from err
            if document is None:
                raise AuthLost(name, NOT_CONNECTED_MESSAGE)
            if not document.get("tokens"):
                raise AuthLost(name, document.get("auth_error") or NOT_CONNECTED_MESSAGE)
            current = TokenSet.from_json(document["tokens"])
            if force:
                if seen is not None and current.access_token != seen:
                    return current.access_token
            elif not current.expires_within(margin, now=self._clock()):
                return current.access_token
            try:
                renewed = refresh(current.refresh_token)
            except Exception as err:
                if not _is_auth_refusal(err):
                    raise
                message = user_message(err) if isinstance(err, AddonError) else REFUSED_MESSAGE
                self.mark_auth_lost(name, message)
                raise AuthLost(name, message) from err
            if not renewed.scopes:
                # Oura may omit ``scope`` on refresh; the grant itself is unchanged.
                renewed = replace(renewed, scopes=current.scopes)
            document.update(tokens=renewed.to_json(), status=CONNECTED, auth_error=None)
            self._announce(document)
            # Persist before use: the old refresh token is spent, the new one exists only here.
            self._write_document(document)
            log.info("Account %s: access token refreshed", name)
            return renewed.access_token

    def token_provider(self, name: str, refresh: Refresh) -> TokenProvider:
        validate_name(name)
        return TokenProvider(self, name, refresh)
