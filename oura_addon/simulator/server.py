"""Serve a Simulator with waitress on loopback in a background thread."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable
from typing import Any

from waitress.channel import ClientDisconnected
from waitress.server import create_server

from oura_addon.simulator.state import DropConnection, Simulator


def _closing_on_drop(app: Callable) -> Callable:
    """Turn DropConnection into what makes waitress close the socket without a reply."""

    def wsgi(environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        try:
            return app(environ, start_response)
        except DropConnection as drop:
            raise ClientDisconnected(str(drop)) from None

    return wsgi


class SimulatorServer:
    """``with SimulatorServer(simulator) as server: requests.get(server.url + ...)``.

    ``port=0`` picks a free port; ``url`` is known once started.
    """

    def __init__(self, simulator: Simulator, host: str = "127.0.0.1", port: int = 0) -> None:
        self.simulator = simulator
        self.host = host
        self.port = port
        self.url = ""
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> SimulatorServer:
        if self._server is not None:
            return self
        self._server = create_server(
            _closing_on_drop(self.simulator.wsgi_app),
            host=self.host,
            port=self.port,
            threads=8,
            ident="oura-simulator",
            clear_untrusted_proxy_headers=True,
        )
        self.port = int(self._server.getsockname()[1])
        self.url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(
            target=self._server.run, name=f"oura-simulator-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None
        if self.simulator.webhooks is not None:
            self.simulator.webhooks.stop()
        # Workers first: a worker finishing a request pokes the trigger, which must still
        # be open then (a write to a closed, reused descriptor would hit another file).
        server.task_dispatcher.shutdown(timeout=5)
        # Then close every socket from inside waitress's own loop thread, which then ends.
        # OSError: the loop ran our thunk (closing the trigger) before we could poke it.
        with contextlib.suppress(OSError):
            server.trigger.pull_trigger(lambda: _close_all(server))
        if thread is not None:
            thread.join(timeout=10)

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _close_all(server: Any) -> None:
    for channel in list(server._map.values()):
        channel.close()
