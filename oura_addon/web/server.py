"""The panel's HTTP server: waitress, bounded so that no peer can take the add-on down.

- Peers outside the trusted list (the Supervisor's ingress proxy; loopback for dev/test)
  are closed as soon as they connect: they never hold a connection slot or a byte of
  buffer, and the proxy keeps being answered.
- Idle connections are closed after ``CHANNEL_TIMEOUT`` seconds.
- A body larger than ``MAX_REQUEST_BODY_BYTES`` is refused by waitress before it is read
  (and by Flask by its Content-Length).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterable
from typing import Any

from waitress.server import TcpWSGIServer

from oura_addon.web import MAX_REQUEST_BODY_BYTES

_LOGGER = logging.getLogger(__name__)

THREADS = 6
CHANNEL_TIMEOUT = 15  # seconds an idle keep-alive connection may stay open
CLEANUP_INTERVAL = 5  # how often waitress looks for idle connections
CONNECTION_LIMIT = 100
MAX_REQUEST_HEADER_BYTES = 16 * 1024


class TrustedPeersServer(TcpWSGIServer):
    """waitress's TCP server, accepting connections only from the trusted addresses."""

    def __init__(self, application: Any, *, trusted: Iterable[str], **adjustments: Any) -> None:
        # Set before the base class starts listening: accept() reads it.
        self.trusted_peers = frozenset(trusted)
        self.refused_connections = 0
        super().__init__(application, **adjustments)

    def accept(self) -> tuple[socket.socket, Any] | None:
        """The next connection, or None (waitress then waits) for an untrusted peer."""
        accepted = super().accept()
        if accepted is None:
            return None
        connection, address = accepted
        peer = address[0] if isinstance(address, tuple) else str(address)
        if peer in self.trusted_peers:
            return accepted
        self.refused_connections += 1
        if self.refused_connections in (1, 10, 100, 1000) or self.refused_connections % 10000 == 0:
            _LOGGER.warning(
                "Refused a connection from %s (%d so far): the panel only answers Home "
                "Assistant's ingress proxy",
                peer,
                self.refused_connections,
            )
        connection.close()
        return None


def create_server(
    application: Any, *, host: str, port: int, trusted: Iterable[str]
) -> TrustedPeersServer:
    return TrustedPeersServer(
        application,
        trusted=trusted,
        host=host,
        port=port,
        threads=THREADS,
        ident="oura-addon",
        connection_limit=CONNECTION_LIMIT,
        channel_timeout=CHANNEL_TIMEOUT,
        cleanup_interval=CLEANUP_INTERVAL,
        max_request_body_size=MAX_REQUEST_BODY_BYTES,
        max_request_header_size=MAX_REQUEST_HEADER_BYTES,
    )
