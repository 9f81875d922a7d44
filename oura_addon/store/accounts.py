"""The account registry: one private, versioned document per account in /data.

Layout: ``<data_dir>/accounts/<name>.json`` (+ ``.bak``), written only through
``storage.write_versioned`` and read through ``storage.read_versioned`` (newest complete
copy wins). The store only stores documents: every change goes through ``update(name, fn)``
under the account's lock; the token lifecycle (refresh ahead of expiry, single flight) is
``oura.session``'s. Token strings leave this module only through ``tokens()``; everything
else sees an ``Account`` view. Every token it reads or writes is registered with the log
redactor (``on_secret``).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Any

from oura_addon.errors import AddonError, InvalidInput
from oura_addon.i18n import Number, _l, stored_text
from oura_addon.oura.endpoints import DEFAULT_SCOPES
from oura_addon.oura.tokens import TokenSet
from oura_addon.states import entity_prefix
from oura_addon.store.files import (
    CorruptFileError,
    DataNotWritable,
    Versioned,
    backup_path,
    delete_with_backup,
    not_writable,
    read_versioned,
    recover,
    write_versioned,
)

_LOGGER = logging.getLogger(__name__)


class Connection(StrEnum):
    """An account's link to Oura, as stored in its document's ``status``."""

    CONNECTED = "connected"
    NEEDS_RECONNECT = "needs_reconnect"
    NOT_CONNECTED = "not_connected"


CONNECTED = Connection.CONNECTED
NEEDS_RECONNECT = Connection.NEEDS_RECONNECT
NOT_CONNECTED = Connection.NOT_CONNECTED

ACCOUNTS_DIR_MODE = 0o700

UNREADABLE_MESSAGE = _l("Stored credentials are unreadable; reconnect this account.")
NOT_CONNECTED_MESSAGE = _l("This account is not connected yet; connect it from the panel.")
REFUSED_MESSAGE = _l("Oura refused the stored authorization; reconnect this account.")

_NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,31}")
# An Oura app Oura has not approved serves 10 users; twice that covers every household
# and keeps the status call quick.
MAX_ACCOUNTS = 20
TOO_MANY_MESSAGE = _l(
    "The add-on keeps at most %(count)s accounts; remove one before adding another.",
    count=Number(MAX_ACCOUNTS),
)
# Bad names are echoed in messages, but never more of them than this.
ECHO_LIMIT = 64

Document = dict[str, Any]
# Called by create() under the registry lock with the new prefix and the ones taken;
# raises ValueError (with a sentence for the user) to refuse the name.
PrefixCheck = Callable[[str, Collection[str]], None]


class TooManyAccounts(InvalidInput):
    """Another account would pass MAX_ACCOUNTS."""

    def __init__(self) -> None:
        super().__init__(TOO_MANY_MESSAGE)


class AuthLost(AddonError):
    """The account's authorization is gone; only the user reconnecting can fix it."""

    kind = "invalid_grant"

    def __init__(self, account: str, message: str) -> None:
        super().__init__(message)
        self.account = account


def excerpt(name: object) -> str:
    """``name`` quoted for a message, cut to its first ECHO_LIMIT characters."""
    text = name if isinstance(name, str) else str(name)
    return repr(text[:ECHO_LIMIT]) + ("..." if len(text) > ECHO_LIMIT else "")


def validate_name(name: str) -> str:
    """Return ``name`` if it is a usable account name, else raise InvalidInput saying why."""
    # fullmatch over the whole string: no trailing newline or control character slips by.
    if not isinstance(name, str) or not _NAME_PATTERN.fullmatch(name):
        raise InvalidInput(
            _l(
                "Account name %(name)s is not valid: use 1-32 lowercase letters, digits or "
                "underscores, starting with a letter (for example 'oura' or 'partner_2').",
                name=excerpt(name),
            )
        )
    return name


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
    oura_user_id: str | None = None  # Oura's id of the person, learned when connected

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
    oura_user_id = raw.get("oura_user_id")
    return {
        "name": name,
        "entity_prefix": prefix,
        "created_at": raw.get("created_at") if isinstance(raw.get("created_at"), str) else None,
        "email": email if isinstance(email, str) else None,
        "tokens": dict(tokens) if tokens is not None else None,
        "status": raw.get("status") if isinstance(raw.get("status"), str) else None,
        "auth_error": auth_error if isinstance(auth_error, str) else None,
        "oura_user_id": oura_user_id if isinstance(oura_user_id, str) else None,
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
        auth_error=stored_text(document["auth_error"]) if document.get("auth_error") else None,
        has_tokens=tokens is not None,
        scopes=tokens.scopes if tokens else (),
        token_expires_at=datetime.fromtimestamp(tokens.expires_at, UTC) if tokens else None,
        oura_user_id=document.get("oura_user_id"),
    )


def _fresh_document(name: str, prefix: str, created_at: str) -> Document:
    return {
        "name": name,
        "entity_prefix": prefix,
        "created_at": created_at,
        "email": None,
        "tokens": None,
        "status": NOT_CONNECTED,
        "auth_error": None,
    }


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
        # Changes /data refused (full or read-only), newest first in every read and written
        # as soon as it takes them: a refreshed pair exists nowhere else.
        self._unsaved: dict[str, Document] = {}
        # Accounts being removed in the background: hidden at once, deleted when done.
        self._removing: set[str] = set()

    validate_name = staticmethod(validate_name)

    @property
    def directory(self) -> Path:
        return self._dir

    @property
    def clock(self) -> Callable[[], float]:
        return self._clock

    # ----- files ---------------------------------------------------------------------------

    def _path(self, name: str) -> Path:
        return self._dir / f"{name}.json"

    def _ensure_dir(self) -> None:
        self._dir.mkdir(parents=True, exist_ok=True, mode=ACCOUNTS_DIR_MODE)
        self._dir.chmod(ACCOUNTS_DIR_MODE)

    def _stored_names(self) -> list[str]:
        """Names with a file, a backup or (after a crash) only a temp file."""
        if not self._dir.is_dir():
            return []
        names = set()
        for path in self._dir.iterdir():
            stem = path.name
            if stem.startswith(".") and stem.endswith(".tmp"):
                stem = stem[1:].split(".json", 1)[0] + ".json"
            stem = stem.removesuffix(".bak")
            if not stem.endswith(".json"):
                continue
            stem = stem.removesuffix(".json")
            if _NAME_PATTERN.fullmatch(stem):
                names.add(stem)
        return sorted(names)

    def _read(self, name: str) -> Versioned[Document] | None:
        """The newest trustworthy copy of the document; None when absent.

        Raises CorruptFileError when copies exist but none of them can be trusted.
        """
        try:
            newest = read_versioned(self._path(name), lambda raw: _parse_document(name, raw))
        except CorruptFileError as err:
            self._warn_once(name, f"Account {name} is unreadable: {err}")
            raise CorruptFileError(UNREADABLE_MESSAGE) from err
        if newest is None:
            return None
        if newest.problems:
            self._warn_once(
                name, f"Account {name}: {'; '.join(newest.problems)}; using {newest.source_label}"
            )
        self._announce(newest.value)
        return newest

    def _read_document(self, name: str) -> Document | None:
        with self._locks_guard:
            unsaved = self._unsaved.get(name)
        if unsaved is not None:
            self._try_to_save(name, unsaved)
            return dict(unsaved)
        newest = self._read(name)
        return newest.value if newest else None

    def _try_to_save(self, name: str, unsaved: Document) -> None:
        """Write a kept change if /data takes it now; never waits for the account's lock."""
        with self._locks_guard:
            lock = self._account_locks.setdefault(name, threading.RLock())
        if not lock.acquire(blocking=False):
            return  # its holder writes (or keeps) a newer change itself
        try:
            with self._locks_guard:
                if self._unsaved.get(name) is not unsaved:
                    return
            try:
                self._write_document(unsaved)
            except DataNotWritable:
                return
            with self._locks_guard:
                if self._unsaved.get(name) is unsaved:
                    del self._unsaved[name]
            _LOGGER.info("Account %s: the change kept in memory is now stored", name)
        finally:
            lock.release()

    def _store_or_keep(self, document: Document) -> None:
        """Write ``document``; when /data refuses (full, read-only), keep it in memory."""
        name = document["name"]
        try:
            self._write_document(document)
        except DataNotWritable as err:
            with self._locks_guard:
                self._unsaved[name] = document
            self._warn_once(
                name,
                f"Account {name}: {err.user_message} Its change is kept in memory and stored "
                "as soon as /data takes it.",
            )
            return
        with self._locks_guard:
            self._unsaved.pop(name, None)

    def unsaved(self) -> list[str]:
        """Accounts whose newest change only memory holds (/data refused it)."""
        with self._locks_guard:
            names = list(self._unsaved)
        for name in names:
            self._read_document(name)  # one more try each time somebody asks
        with self._locks_guard:
            return sorted(self._unsaved)

    def _warn_once(self, name: str, message: str) -> None:
        # The panel lists accounts every few seconds: say it once, not on every poll.
        with self._locks_guard:
            repeated = self._reported.get(name) == message
            self._reported[name] = message
        _LOGGER.log(logging.DEBUG if repeated else logging.WARNING, "%s", message)

    def _write_document(self, document: Mapping[str, Any]) -> None:
        self._announce(document)
        try:
            self._ensure_dir()
            write_versioned(self._path(document["name"]), dict(document))
        except OSError as err:
            named = not_writable(err)
            if named is None or named is err:
                raise
            raise named from err

    def _announce(self, document: Mapping[str, Any]) -> None:
        tokens = document.get("tokens")
        if self._on_secret and tokens:
            self._on_secret(str(tokens.get("access_token", "")))
            self._on_secret(str(tokens.get("refresh_token", "")))

    def _taken_prefixes(self, name: str, others: list[Account] | None = None) -> set[str]:
        accounts = self.list() if others is None else others
        return {a.entity_prefix for a in accounts if a.name != name}

    def _unreadable_view(self, name: str, others: list[Account]) -> Account:
        # The prefix is lost with the file: the rule gives it back unless another took it.
        created = None
        for candidate in (self._path(name), backup_path(self._path(name))):
            try:
                created = datetime.fromtimestamp(candidate.stat().st_mtime, UTC)
                break
            except OSError:
                continue
        return Account(
            name=name,
            entity_prefix=entity_prefix(name, self._taken_prefixes(name, others)),
            created_at=created,
            email=None,
            connection=NEEDS_RECONNECT,
            auth_error=UNREADABLE_MESSAGE,
            has_tokens=False,
            scopes=(),
            token_expires_at=None,
        )

    @contextmanager
    def locked(self, name: str) -> Iterator[None]:
        """Hold the account's lock: every change of its document is made under it."""
        with self._locks_guard:
            lock = self._account_locks.setdefault(name, threading.RLock())
        with lock:
            yield

    def _now_iso(self) -> str:
        return datetime.fromtimestamp(self._clock(), UTC).isoformat()

    def recover(self) -> None:
        """At start-up: let each account's file and backup hold its newest copy, and remove
        the temp files a crash left behind (one may have held the only valid token pair)."""
        for name in self._stored_names():
            with self.locked(name):
                recover(self._path(name), partial(_parse_document, name))

    # ----- registry ------------------------------------------------------------------------

    def list(self) -> list[Account]:
        """Every account, oldest first; unreadable ones show as needing a reconnect."""
        readable: list[Account] = []
        unreadable: list[str] = []
        with self._locks_guard:
            removing = set(self._removing)
        for name in self._stored_names():
            if name in removing:
                continue
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
        with self._locks_guard:
            if name in self._removing:
                return None
        try:
            document = self._read_document(name)
        except CorruptFileError:
            others = [a for a in self.list() if a.name != name]
            return self._unreadable_view(name, others)
        return _account_view(document) if document is not None else None

    def create(self, name: str, check: PrefixCheck | None = None) -> Account:
        """Register ``name`` (idempotent); its prefix comes from ``states.entity_prefix``.

        ``check`` runs under the registry lock, so two accounts created at once cannot
        both pass a check against the same set of prefixes.
        """
        validate_name(name)
        with self._registry_lock:
            existing = self.get(name)
            if existing is not None:
                return existing
            with self._locks_guard:
                if name in self._removing:
                    raise InvalidInput(
                        _l(
                            "The account %(name)r is still being removed; try again in a moment.",
                            name=name,
                        )
                    )
            others = self.list()
            if len(others) >= MAX_ACCOUNTS:
                raise TooManyAccounts()
            taken = self._taken_prefixes(name, others)
            prefix = entity_prefix(name, taken)
            if check is not None:
                check(prefix, taken)
            document = _fresh_document(name, prefix, self._now_iso())
            self._write_document(document)
            _LOGGER.info("Account %s created (entity prefix %s)", name, prefix)
            return _account_view(document)

    def begin_removal(self, name: str) -> None:
        """Hide the account from now on; ``delete`` (which may wait for a refresh holding
        the account's lock) finishes its removal."""
        validate_name(name)
        with self._locks_guard:
            self._removing.add(name)

    def delete(self, name: str) -> None:
        """Forget the account: its file, its backup and any temp copies."""
        validate_name(name)
        with self.locked(name), self._registry_lock:
            with self._locks_guard:
                self._unsaved.pop(name, None)
            try:
                delete_with_backup(self._path(name))
            finally:
                with self._locks_guard:
                    self._removing.discard(name)
        _LOGGER.info("Account %s deleted", name)

    # ----- documents -----------------------------------------------------------------------

    def update(
        self,
        name: str,
        change: Callable[[Document], Document | None],
        *,
        create: bool = False,
    ) -> Account | None:
        """Apply ``change`` to the newest copy of the document, under the account's lock.

        ``change`` gets a copy and returns the document to store, or None to store nothing;
        exceptions it raises propagate and store nothing. The result is on disk before this
        returns, or, when /data is full or read-only, kept in memory until it can be.
        An unreadable document is replaced by a fresh one that keeps the prefix.
        Returns the new view; None for an absent account (unless ``create``), so a late
        writer never brings a removed account back.
        """
        validate_name(name)
        with self.locked(name):
            try:
                document = self._read_document(name)
            except CorruptFileError:
                view = self.get(name)
                document = _fresh_document(
                    name,
                    view.entity_prefix if view else entity_prefix(name, self._taken_prefixes(name)),
                    view.created_at.isoformat() if view and view.created_at else self._now_iso(),
                )
            if document is None:
                if not create:
                    return None
                self.create(name)
                document = self._read_document(name)
                if document is None:
                    return None
            changed = change(dict(document))
            if changed is None:
                return _account_view(document)
            self._store_or_keep(changed)
            return _account_view(changed)

    def save_tokens(
        self,
        name: str,
        tokens: TokenSet,
        email: str | None = None,
        oura_user_id: str | None = None,
    ) -> Account:
        """Store a freshly granted token pair (connect or reconnect); clears any auth error."""

        def connect(document: Document) -> Document:
            document.update(tokens=tokens.to_json(), status=CONNECTED, auth_error=None)
            if email is not None:
                document["email"] = email
            if oura_user_id is not None:
                document["oura_user_id"] = oura_user_id
            return document

        account = self.update(name, connect, create=True)
        assert account is not None  # created when missing
        _LOGGER.info("Account %s connected", name)
        return account

    def set_email(self, name: str, email: str | None) -> Account | None:
        """Record the account's e-mail address without touching its tokens."""

        def record(document: Document) -> Document | None:
            return {**document, "email": email} if document.get("tokens") else None

        return self.update(name, record)

    def mark_auth_lost(
        self, name: str, message: str, *, refused: TokenSet | None = None
    ) -> Account | None:
        """The authorization was refused: drop the dead tokens and ask for a reconnect.

        With ``refused`` (the pair whose refresh Oura refused) nothing changes when the
        stored pair is another one by now: a newer copy is never overwritten by a refusal
        of an older one. Returns None for an account that no longer exists.
        """

        def lose(document: Document) -> Document | None:
            stored = document.get("tokens")
            if refused is not None and (
                not stored or stored.get("refresh_token") != refused.refresh_token
            ):
                return None
            return {**document, "tokens": None, "status": NEEDS_RECONNECT, "auth_error": message}

        account = self.update(name, lose)
        if account is not None and account.connection == NEEDS_RECONNECT:
            _LOGGER.warning("Account %s needs to be reconnected: %s", name, message)
        return account

    def drop_scope(self, name: str, scope: str) -> None:
        """Oura said ``scope`` was not granted: record it, so its endpoints are not called
        (and the panel offers to grant it) until the account is reconnected."""

        def narrow(document: Document) -> Document | None:
            if not document.get("tokens"):
                return None
            tokens = TokenSet.from_json(document["tokens"])
            if not tokens.grants(scope):
                return None
            granted = tokens.scopes if tokens.scopes or tokens.scopes_known else DEFAULT_SCOPES
            narrowed = replace(
                tokens, scopes=tuple(s for s in granted if s != scope), scopes_known=True
            )
            return {**document, "tokens": narrowed.to_json()}

        self.update(name, narrow)
        _LOGGER.info("Account %s: Oura did not grant the %s scope", name, scope)

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
