"""The panel's browser session: a signed cookie scoped to the ingress path, and CSRF tokens.

The cookie is signed with a key kept in ``/data/secret_key`` (0600) so an open panel keeps
working across add-on restarts. The CSRF token lives in that signed session and must come
back as ``X-CSRF-Token`` (fetch) or a ``csrf_token`` form field on every state change.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from pathlib import Path

from flask import Flask, current_app, request, session
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadData, URLSafeTimedSerializer

from oura_addon.store.files import atomic_write_bytes

_LOGGER = logging.getLogger(__name__)

SECRET_KEY_FILE = "secret_key"
SESSION_COOKIE_NAME = "oura_panel_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
_CSRF_SESSION_KEY = "csrf"
STATE_CHANGING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORM_MIMETYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
# A panel left open for a week asks for a reload before its buttons work again.
CSRF_MAX_AGE_SECONDS = 7 * 24 * 3600


def load_secret_key(data_dir: Path) -> bytes:
    """Read the key from ``data_dir``, creating it on first start.

    An unwritable data directory is not fatal: the key then lasts for this process only.
    """
    path = data_dir / SECRET_KEY_FILE
    try:
        key = path.read_bytes()
        if len(key) >= 32:
            return key
    except FileNotFoundError:
        pass
    except OSError as err:
        _LOGGER.warning("Cannot read %s (%s); panel sessions end at restart", path, err.strerror)
        return secrets.token_bytes(32)
    key = secrets.token_bytes(32)
    try:
        atomic_write_bytes(path, key)
    except OSError as err:
        _LOGGER.warning("Cannot write %s (%s); panel sessions end at restart", path, err.strerror)
    return key


class IngressSessionInterface(SecureCookieSessionInterface):
    """Scopes the cookie to the ingress prefix of the request being answered."""

    def get_cookie_path(self, app: Flask) -> str:
        return request.script_root or "/"


def configure_session(app: Flask, secret_key: bytes) -> None:
    app.secret_key = secret_key
    app.session_interface = IngressSessionInterface()
    app.config.update(
        SESSION_COOKIE_NAME=SESSION_COOKIE_NAME,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
    )


def _signer() -> URLSafeTimedSerializer:
    # create_app always sets the key; an app without one must fail loudly, never sign with None.
    key = current_app.secret_key
    if key is None:
        raise RuntimeError("the panel has no secret key to sign its CSRF tokens")
    return URLSafeTimedSerializer(key, salt="oura-panel-csrf")


def csrf_token() -> str:
    """This session's token, created on first use (the page's meta tag and forms carry it).

    It is signed with the add-on's key, so it also proves its bearer read a page this
    add-on served to a trusted client: scripts that keep no cookies can still use it.
    """
    token = session.get(_CSRF_SESSION_KEY)
    if not isinstance(token, str) or not _signed_by_us(token):
        token = _signer().dumps(secrets.token_urlsafe(16))
        session[_CSRF_SESSION_KEY] = token
    return token


def _signed_by_us(token: str) -> bool:
    try:
        _signer().loads(token, max_age=CSRF_MAX_AGE_SECONDS)
    except BadData:
        return False
    return True


def csrf_ok() -> bool:
    """Whether the request carries a token of ours (header or form field).

    With a panel session the token must be that session's; without one (a script with no
    cookie jar; browsers never send the SameSite=Strict cookie cross-site anyway) a token
    signed by this add-on is enough, since a forging site cannot read the panel's pages.
    """
    # The header first: a form body is read only when there is no header, and only after
    # the size check, so a token-less flood is refused without parsing it.
    sent = request.headers.get(CSRF_HEADER)
    if not sent and request.mimetype in FORM_MIMETYPES:
        sent = request.form.get(CSRF_FIELD)
    if not sent or not _signed_by_us(sent):
        return False
    expected = session.get(_CSRF_SESSION_KEY)
    if isinstance(expected, str) and expected:
        return hmac.compare_digest(expected.encode(), sent.encode())
    return True
