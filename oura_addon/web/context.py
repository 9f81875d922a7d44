"""The per-app bundle the views reach through ``current_app`` (never a module global)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from oura_addon.services import Services
from oura_addon.web.oauth_state import PendingAuthorizations
from oura_addon.web.sign_in import SignIns

EXTENSION_KEY = "oura_addon"

# Oura accepts http only for localhost; registering this lets plain-http installs connect
# by pasting the address the browser lands on. Documented in DOCS.md; never change it.
PASTE_REDIRECT_URI = "http://localhost/oura-callback"


@dataclass(frozen=True)
class WebContext:
    services: Services
    pending: PendingAuthorizations
    sign_ins: SignIns


def web_context() -> WebContext:
    return current_app.extensions[EXTENSION_KEY]
