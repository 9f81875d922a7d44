"""WSGI middleware for Home Assistant ingress: who may talk to the panel, and under which path.

Requests reach the add-on only through the Supervisor's ingress proxy, which adds
``X-Ingress-Path: /api/hassio_ingress/<token>``. Setting ``SCRIPT_NAME`` from it makes every
``url_for`` (links, forms, assets, redirects) work under that prefix.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

INGRESS_PATH = re.compile(r"^/api/hassio_ingress/[A-Za-z0-9_-]+$")
REMOTE_USER_PREFIX = "HTTP_X_REMOTE_USER_"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def ingress_prefix(header: str | None) -> str | None:
    """The header's value when it is a well-formed ingress path, else None."""
    if header and INGRESS_PATH.match(header):
        return header
    return None


class IngressMiddleware:
    """Refuses untrusted clients, applies the ingress prefix, drops spoofable user headers."""

    def __init__(
        self, app: WSGIApp, trusted_clients: Iterable[str], ingress_proxy_address: str
    ) -> None:
        self._app = app
        self._trusted = frozenset(trusted_clients)
        self._proxy = ingress_proxy_address

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        # REMOTE_ADDR is the TCP peer (waitress); X-Forwarded-For is client-controlled.
        remote = environ.get("REMOTE_ADDR", "")
        if remote not in self._trusted:
            body = b"Forbidden: this panel only answers Home Assistant's ingress proxy.\n"
            start_response(
                "403 Forbidden",
                [
                    ("Content-Type", "text/plain; charset=utf-8"),
                    ("Content-Length", str(len(body))),
                    ("Cache-Control", "no-store"),
                ],
            )
            return [body]
        if remote != self._proxy:
            for key in [k for k in environ if k.startswith(REMOTE_USER_PREFIX)]:
                del environ[key]
        prefix = ingress_prefix(environ.get("HTTP_X_INGRESS_PATH"))
        if prefix:
            path = environ.get("PATH_INFO", "")
            # The Supervisor strips the prefix; a proxy that does not is handled the same way.
            if path == prefix or path.startswith(prefix + "/"):
                path = path[len(prefix) :]
            environ["SCRIPT_NAME"] = prefix
            environ["PATH_INFO"] = path or "/"
        return self._app(environ, start_response)
