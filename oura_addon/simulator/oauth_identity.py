"""The two authorization servers the simulator plays: Oura's classic one and its new
identity provider (a Curity server at moi.ouraring.com, see ../shared/README.md).

Each is a ``Provider`` value: its paths, how it reads the ``scope`` parameter and which
redirect URIs it refuses. The routes themselves are in ``oauth_routes``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import request

from oura_addon.oura.endpoints import DEFAULT_SCOPES, NEW_SCOPE_PREFIX, SCOPE_LABELS

NEW_BASE = "/oauth/v2/ext"
ISSUER_PATH = f"{NEW_BASE}/oauth-anonymous"


def issuer_url() -> str:
    """The new provider's issuer as seen from the current request's host."""
    return request.host_url.rstrip("/") + ISSUER_PATH


@dataclass(frozen=True)
class Provider:
    portal: str  # which kind of app this server's token URL accepts: classic or new
    authorize_path: str
    token_path: str
    revoke_path: str
    scope_prefix: str = ""

    @property
    def discovery_path(self) -> str:
        return f"{ISSUER_PATH}/.well-known/openid-configuration"

    def scope_name(self, bare: str) -> str:
        return self.scope_prefix + bare

    def requested_scopes(self, raw: str | None) -> list[str] | None:
        """The bare scopes to grant; the default set when none; None if one is unknown.

        The new provider knows only ``extapi:`` names: a bare name sent there is silently
        not granted, as Oura does.
        """
        names = (raw or "").replace(",", " ").split()
        if not names:
            return list(DEFAULT_SCOPES)
        return self._bare_names(names)

    def ticked_scopes(self, names: list[str]) -> list[str]:
        """The bare scopes of the boxes ticked on the consent page (none: nothing granted)."""
        return self._bare_names(names) or [] if names else []

    def _bare_names(self, names: list[str]) -> list[str] | None:
        granted = []
        for name in names:
            if self.scope_prefix and not name.startswith(self.scope_prefix):
                continue
            bare = name.removeprefix(self.scope_prefix)
            if bare not in SCOPE_LABELS:
                return None
            granted.append(bare)
        return list(dict.fromkeys(granted))

    def redirect_problem(self, redirect_uri: str) -> str | None:
        if self.portal == "new" and urlsplit(redirect_uri).hostname == "127.0.0.1":
            return (
                "invalid_request: redirect URIs on 127.0.0.1 are not allowed; "
                "use http://localhost instead."
            )
        return None

    def discovery_document(self) -> dict[str, Any]:
        host = request.host_url.rstrip("/")
        return {
            "issuer": issuer_url(),
            "authorization_endpoint": host + self.authorize_path,
            "token_endpoint": host + self.token_path,
            "revocation_endpoint": host + self.revoke_path,
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "client_secret_basic",
            ],
            "scopes_supported": [self.scope_name(scope) for scope in SCOPE_LABELS],
            "authorization_response_iss_parameter_supported": True,
        }


CLASSIC = Provider(
    portal="classic",
    authorize_path="/oauth/authorize",
    token_path="/oauth/token",
    revoke_path="/oauth/revoke",
)
NEW = Provider(
    portal="new",
    authorize_path=f"{NEW_BASE}/oauth-authorize",
    token_path=f"{NEW_BASE}/oauth-token",
    revoke_path=f"{NEW_BASE}/oauth-revoke",
    scope_prefix=NEW_SCOPE_PREFIX,
)
