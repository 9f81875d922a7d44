"""What the panel can change, shared by the HTML forms, the OAuth callback and the JSON API.

Each action either succeeds or raises ``ActionError`` with a short kind, a sentence for the
user and the HTTP status to answer with; nothing is half-stored on failure.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from oura_addon import catalogue
from oura_addon.errors import user_message
from oura_addon.history_import.job import HistoryBusy
from oura_addon.i18n import _l
from oura_addon.oura.errors import OAuthError, OuraUnavailable, RedirectUriMismatch
from oura_addon.oura.implementations import PORTAL_NEW, PORTALS
from oura_addon.oura.tokens import AppCredentials
from oura_addon.services import Services
from oura_addon.store.accounts import ECHO_LIMIT, MAX_ACCOUNTS, TOO_MANY_MESSAGE
from oura_addon.store.files import DataNotWritable
from oura_addon.web.oauth_state import Pending, PendingAuthorizations

if TYPE_CHECKING:
    from oura_addon.store.accounts import Account

_LOGGER = logging.getLogger(__name__)

NO_CREDENTIALS_MESSAGE = _l("Enter your Oura app's client id and secret first.")
NO_HISTORY_MESSAGE = _l(
    "No Home Assistant is connected, so there is nowhere to import the history to."
)
# A removal answers within this; what is left (a refresh Oura is slow to answer, Home
# Assistant's entities) finishes in the background.
REMOVAL_ANSWER_SECONDS = 2.0


class ActionError(Exception):
    def __init__(
        self, kind: str, message: str, status: int = 400, details: dict[str, str] | None = None
    ) -> None:
        # ``message`` is English (a ``Text`` keeps its translation for the panel).
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status
        self.details = details or {}

    def to_json(self) -> dict[str, str]:
        return {"error": self.kind, "message": self.message, **self.details}


@dataclass(frozen=True)
class Connected:
    account: str
    email: str | None
    # Set when Oura's answers showed the other kind of app than the one chosen.
    notice: str | None = None


def oauth_failure(err: OAuthError) -> ActionError:
    """Oura being unreachable is a gateway problem (502); everything else is the request's.

    Oura's own ``error``/``error_description`` travel along, for the panel to show.
    """
    status = 502 if isinstance(err, OuraUnavailable) else 400
    details = {}
    if err.oura_error:
        details["oura_error"] = err.oura_error
    if err.oura_description:
        details["oura_error_description"] = err.oura_description
    if isinstance(err, RedirectUriMismatch) and err.redirect_uri:
        details["redirect_uri"] = err.redirect_uri
    return ActionError(err.kind, err.user_message, status, details)


def portal_notice(learned: str, granted_nothing: bool) -> str:
    """What to tell the user when the app turned out to be of the other kind."""
    if learned != PORTAL_NEW:
        return _l(
            "Your Oura app comes from Oura's classic developer portal, not the new one: the "
            "add-on now signs in the classic way for it."
        )
    if granted_nothing:
        return _l(
            "Your Oura app was created on Oura's new developer portal "
            "(developer.ouraring.com), not the classic one: the add-on now signs in the new "
            "portal's way for it. Oura granted no data through the classic sign-in: click "
            "Reconnect."
        )
    return _l(
        "Your Oura app was created on Oura's new developer portal (developer.ouraring.com), "
        "not the classic one: the add-on now signs in the new portal's way for it."
    )


def require_account(services: Services, name: str) -> Account:
    account = services.accounts.get(name)
    if account is None:
        # A name from the URL can be any length: echo only its start.
        raise ActionError(
            "not_found",
            _l("There is no account named %(name)r.", name=name[:ECHO_LIMIT]),
            404,
        )
    return account


def storage_refusal(err: DataNotWritable) -> ActionError:
    """/data full or read-only: nothing was stored, and the sentence says why (no 500)."""
    return ActionError("storage", err.user_message, 507)


def add_account(services: Services, name: str) -> Account:
    # Spaces a user typed around the name go; any other character is judged by the rule.
    name = (name or "").strip(" ")
    try:
        services.accounts.validate_name(name)
    except ValueError as err:
        raise ActionError("bad_name", user_message(err)) from err
    if services.accounts.get(name) is not None:
        raise ActionError("exists", _l("An account named %(name)r already exists.", name=name), 409)
    if len(services.accounts.list()) >= MAX_ACCOUNTS:
        raise ActionError("too_many", TOO_MANY_MESSAGE, 409)
    clashes: list[str] = []

    def refuse_clash(prefix: str, taken: Collection[str]) -> None:
        clash = entity_id_clash(prefix, taken)
        if clash:
            clashes.append(clash)
            raise ValueError(clash)

    try:
        return services.accounts.create(name, check=refuse_clash)
    except DataNotWritable as err:
        raise storage_refusal(err) from err
    except ValueError as err:
        if clashes:
            message = _l(
                "With the name %(name)r this account's entities would include %(entity_id)s, "
                "which another account already uses; choose another name.",
                name=name,
                entity_id=clashes[0],
            )
            raise ActionError("bad_name", message) from err
        raise ActionError("bad_name", user_message(err)) from err


def entity_id_clash(prefix: str, taken_prefixes: Collection[str]) -> str | None:
    """An entity id of a new account with ``prefix`` that another account already has.

    A further account's ids are ``sensor.oura_<name>_<key>``: a name such as ``average``
    would give ``sensor.oura_average_heart_rate``, the first account's own sensor.
    """
    taken = {entity_id for p in taken_prefixes for entity_id in catalogue.entity_ids(p)}
    return next((e for e in catalogue.entity_ids(prefix) if e in taken), None)


def save_credentials(
    services: Services, client_id: Any, client_secret: Any, portal: Any = None
) -> None:
    described = services.credentials.describe()
    if described.get("source") == "options":
        raise ActionError(
            "options",
            _l("The client id and secret come from the add-on options; change them there."),
            409,
        )
    if not isinstance(client_id, str) or not client_id.strip():
        raise ActionError("bad_credentials", _l("Enter the Client ID of your Oura app."))
    if client_secret is None:
        client_secret = ""
    if not isinstance(client_secret, str):
        raise ActionError("bad_credentials", _l("The client secret must be text."))
    if not client_secret.strip() and not described.get("has_secret"):
        raise ActionError("bad_credentials", _l("Enter the Client secret of your Oura app."))
    if portal is not None and portal not in PORTALS:
        raise ActionError(
            "bad_portal",
            _l(
                "Say where the Oura app was created: “new” (developer.ouraring.com) or "
                "“classic” (Oura's older developer portal)."
            ),
        )
    try:
        services.credentials.save(client_id.strip(), client_secret.strip(), portal)
    except DataNotWritable as err:
        raise storage_refusal(err) from err
    except ValueError as err:
        raise ActionError("bad_credentials", user_message(err)) from err
    if portal is not None:
        services.oauth.choose_portal(AppCredentials(client_id.strip(), "", portal), portal)


def valid_redirect_uri(value: Any) -> str:
    if not isinstance(value, str):
        raise ActionError("bad_redirect_uri", _l("Send the redirect URI as text."))
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ActionError(
            "bad_redirect_uri",
            _l(
                "The redirect URI must be an absolute http(s) address, got %(value)r.",
                value=value[:ECHO_LIMIT],
            ),
        )
    return value.strip()


def start_authorization(
    services: Services, pending: PendingAuthorizations, name: str, redirect_uri: Any
) -> str:
    """Bind a fresh state to the account and redirect URI; return Oura's consent URL."""
    redirect_uri = valid_redirect_uri(redirect_uri)
    credentials = services.credentials.get()
    if credentials is None:
        raise ActionError("no_credentials", NO_CREDENTIALS_MESSAGE)
    if services.accounts.get(name) is None:
        add_account(services, name)
    state = pending.issue(name, redirect_uri)
    authorization = services.oauth.authorization(credentials, redirect_uri, state)
    pending.bind(state, authorization.portal, authorization.code_verifier)
    return authorization.url


def finish_authorization(
    services: Services, pending: Pending, code: str, iss: str | None = None
) -> Connected:
    """Check the issuer, exchange the code (once), store the tokens, learn the email, and
    tell the scheduler; correct the app's portal when Oura's answer showed the other one.

    Raises the ``OAuthError`` of a refused exchange as is (the callback page and the API
    present it differently) and ``ActionError`` when there are no client credentials.
    """
    credentials = services.credentials.get()
    if credentials is None:
        raise ActionError("no_credentials", NO_CREDENTIALS_MESSAGE)
    services.oauth.check_issuer(iss)
    tokens = services.oauth.exchange_code(
        credentials,
        code,
        pending.redirect_uri,
        portal=pending.portal,
        code_verifier=pending.code_verifier,
    )
    notice = None
    learned = services.oauth.portal_for(credentials)
    if pending.portal is not None and learned != pending.portal:
        services.credentials.set_portal(learned)
        notice = portal_notice(learned, tokens.scopes_known and not tokens.scopes)
        _LOGGER.info("The Oura app's portal was corrected to %s", learned)
    name = pending.account
    user_id, email = _identity(services, tokens.access_token)
    refuse_same_user(services, name, user_id, email, tokens.access_token)
    if services.accounts.get(name) is None:  # removed while the user was at Oura's page
        add_account(services, name)
    services.accounts.save_tokens(name, tokens, email=email, oura_user_id=user_id)
    if services.oura_identity is None:
        email = _email_of(services, name)
        if email:
            # set_email leaves the tokens alone: the client may already have refreshed the pair.
            services.accounts.set_email(name, email)
    try:
        services.sync.account_connected(name)
    except Exception:  # the tokens are stored; the next scheduled cycle picks the account up
        _LOGGER.exception("Scheduler could not start syncing %s", name)
    if services.history is not None:
        try:
            services.history.first_connection(name, services.settings.history_days)
        except Exception:  # the panel's Import history button can start it later
            _LOGGER.exception("Could not start the history import of %s", name)
    return Connected(name, email, notice)


def _identity(services: Services, access_token: str) -> tuple[str | None, str | None]:
    """Oura's id and email of the person a fresh token belongs to; (None, None) unknown."""
    if services.oura_identity is None:
        return None, None
    try:
        info = services.oura_identity(access_token)
    except Exception as err:  # not fatal: connected, identity unknown
        _LOGGER.warning("Could not read who the new Oura token belongs to (%s)", type(err).__name__)
        return None, None
    user_id, email = getattr(info, "id", None), getattr(info, "email", None)
    return (
        user_id if isinstance(user_id, str) and user_id else None,
        email if isinstance(email, str) and email else None,
    )


def refuse_same_user(
    services: Services, name: str, user_id: str | None, email: str | None, access_token: str
) -> None:
    """One Oura user, one account: a user connected under another name is refused, and the
    new token is revoked at Oura (nothing is stored)."""
    if user_id is None:
        return
    for other in services.accounts.list():
        if other.name == name:
            continue
        known_id = other.oura_user_id
        same = known_id == user_id if known_id else bool(email and other.email == email)
        if not same:
            continue
        try:
            services.oauth.revoke(access_token, services.credentials.get())
        except Exception:
            _LOGGER.warning("Revoking the refused token of %s failed", name)
        raise ActionError(
            "same_oura_user",
            _l(
                "This Oura user is already connected as the account %(other)r. One Oura user "
                "can be connected once: use that account, or sign in to Oura as another user.",
                other=other.name,
            ),
            409,
            {"account": other.name},
        )


def _email_of(services: Services, name: str) -> str | None:
    try:
        info = services.oura_client(name).personal_info()
    except Exception as err:  # not fatal: connected, email unknown
        _LOGGER.warning("Connected %s but could not read its email (%s)", name, type(err).__name__)
        return None
    email = getattr(info, "email", None)
    return email if isinstance(email, str) and email else None


def remove_account(
    services: Services, name: str, wait: float = REMOVAL_ANSWER_SECONDS
) -> bool | None:
    """Hide the account at once, then revoke (best effort), remove the entities and forget
    it; True if revoked, None when that is still going on after ``wait`` seconds."""
    account = require_account(services, name)
    services.accounts.begin_removal(name)
    done = threading.Event()
    revoked: list[bool] = []

    def finish() -> None:
        try:
            revoked.append(_remove(services, account))
        except Exception:  # the account is hidden; a restart shows it again to remove
            _LOGGER.exception("Removing %s failed", name)
        finally:
            done.set()

    threading.Thread(target=finish, name=f"oura-remove-{name}", daemon=True).start()
    if done.wait(wait):
        return bool(revoked and revoked[0])
    _LOGGER.info("Account %s: its removal goes on in the background", name)
    return None


def _remove(services: Services, account: Account) -> bool:
    name = account.name
    revoked = False
    try:
        tokens = services.accounts.tokens(name)
    except Exception:  # unreadable tokens must not block removing the account
        _LOGGER.exception("Cannot read the tokens of %s", name)
        tokens = None
    if tokens is not None:
        try:
            credentials = services.credentials.get()
            revoked = bool(services.oauth.revoke(tokens.access_token, credentials))
        except Exception:
            _LOGGER.warning("Revoking the token of %s failed", name)
    # Forget it first: a sync the scheduler starts meanwhile then finds no account to post.
    services.accounts.delete(name)
    try:
        services.sync.account_removed(name, account.entity_prefix)
    except Exception:
        _LOGGER.exception("Could not remove the entities of %s", name)
    if services.history is not None:
        try:
            services.history.forget(name)
        except Exception:
            _LOGGER.exception("Could not forget the history import of %s", name)
    return revoked


def sync_now(services: Services, name: Any = None) -> None:
    if name is not None:
        if not isinstance(name, str):
            raise ActionError("bad_request", _l("The account must be a name."))
        require_account(services, name)
    services.sync.sync_now(name)


def start_history(services: Services, name: str, start: Any) -> dict[str, Any]:
    """Start the account's history import from ``start`` (YYYY-MM-DD) or its first day."""
    account = require_account(services, name)
    if services.history is None:
        raise ActionError("unavailable", NO_HISTORY_MESSAGE, 503)
    if account.connection != "connected":
        raise ActionError("not_connected", _l("Connect this account first."), 409)
    day: date | None = None
    if start is not None:
        try:
            day = date.fromisoformat(start) if isinstance(start, str) and len(start) == 10 else None
        except ValueError:
            day = None
        if day is None:
            raise ActionError("bad_start", _l("Send the start as a date: YYYY-MM-DD."))
    try:
        services.history.start(name, day)
    except DataNotWritable as err:
        raise storage_refusal(err) from err
    except HistoryBusy:
        raise ActionError(
            "history_running", _l("An import is running; cancel it or wait until it ends."), 409
        ) from None
    except ValueError as err:
        raise ActionError("bad_start", err.args[0] if err.args else str(err)) from None
    return services.history.status(name)


def cancel_history(services: Services, name: str) -> dict[str, Any]:
    require_account(services, name)
    if services.history is None:
        raise ActionError("unavailable", NO_HISTORY_MESSAGE, 503)
    services.history.cancel(name)
    return services.history.status(name)
