"""A real nginx on loopback standing in for Home Assistant's ingress.

It mimics what the browser and the add-on see under Home Assistant:

- the outer page (``/`` and ``/oura``) is "Home Assistant's frontend": a header and an
  iframe titled "Oura" whose src is the ingress URL, so the panel's
  ``window.parent.location.origin`` is this proxy's origin;
- ``/api/hassio_ingress/<token>/...`` is proxied to the add-on with the prefix stripped and
  the headers Home Assistant adds (``X-Ingress-Path``, ``X-Hass-Source``, the remote-user
  headers, ``X-Forwarded-*``), over HTTP/1.1 with websocket upgrades passed through.

Like the real ingress, root-relative ``Location`` headers (``/x``) are passed through
untouched, so a panel redirect that forgets ``X-Ingress-Path`` leaves the prefix and fails
here as it would in Home Assistant. Absolute redirects to the add-on's own address are
mapped back under the prefix (nginx's ``proxy_redirect`` default).
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from html import escape
from pathlib import Path
from types import TracebackType

NGINX = "/usr/sbin/nginx"
INGRESS_TOKEN = "Zq3fXkT0v9bW1cOuRaIngressToken"
REMOTE_USER_ID = "8f1c2d3e4b5a69788796a5b4c3d2e1f0"
REMOTE_USER_NAME = "jane"
REMOTE_USER_DISPLAY_NAME = "Jane Doe"

_TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def free_port(address: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((address, 0))
        return probe.getsockname()[1]


def outer_page(ingress_path: str) -> str:
    """Home Assistant's frontend in miniature: a header and the add-on panel's iframe."""
    src = escape(f"{ingress_path}/")
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Oura - Home Assistant</title>
<style>
  html, body {{ margin: 0; height: 100%; }}
  body {{ display: flex; flex-direction: column; font-family: sans-serif;
         background: Canvas; color: CanvasText; color-scheme: light dark; }}
  header {{ flex: none; height: 56px; line-height: 56px; padding: 0 16px;
           background: #03a9f4; color: #fff; font-size: 20px; }}
  iframe {{ flex: 1; width: 100%; border: 0; display: block; }}
</style>
</head>
<body>
<header>Home Assistant</header>
<iframe title="Oura" src="{src}"></iframe>
</body>
</html>
"""


def nginx_config(
    workdir: Path,
    listen: str,
    addon_port: int,
    ingress_path: str,
    run_as_root: bool,
    session: str | None = None,
) -> str:
    temp_paths = "\n".join(
        f"    {name}_temp_path {workdir / 'temp' / name};" for name in _TEMP_PATHS
    )
    # Worker processes drop to "nobody" when started as root and could not read the tmp dir.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if run_as_root else ""
    upstream = f"http://127.0.0.1:{addon_port}"
    # Home Assistant's frontend sets the ingress session cookie SameSite=Strict and the
    # Supervisor refuses ingress requests without it; with ``session`` the stand-in does both.
    set_session = (
        f'add_header Set-Cookie "ingress_session={session}; Path=/api/hassio_ingress/; '
        f'SameSite=Strict" always;'
        if session
        else ""
    )
    check_session = (
        f'if ($cookie_ingress_session != "{session}") {{ return 401 "401: Unauthorized"; }}'
        if session
        else ""
    )
    return f"""
{user}
daemon off;
worker_processes 1;
pid {workdir / "nginx.pid"};
error_log {workdir / "error.log"} info;
events {{ worker_connections 256; }}
http {{
    access_log {workdir / "access.log"};
{temp_paths}
    default_type application/octet-stream;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    server {{
        listen {listen};
        server_name localhost;
        root {workdir / "www"};

        location = / {{ default_type text/html; {set_session} try_files /outer.html =404; }}
        location = /oura {{ default_type text/html; {set_session} try_files /outer.html =404; }}
        location = {ingress_path} {{ return 301 {ingress_path}/; }}

        location {ingress_path}/ {{
            default_type text/plain;  # the refusal below reads as the Supervisor's text page
            {check_session}
            proxy_pass {upstream}/;
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header X-Hass-Source core.ingress;
            proxy_set_header X-Ingress-Path {ingress_path};
            proxy_set_header X-Remote-User-Id {REMOTE_USER_ID};
            proxy_set_header X-Remote-User-Name {REMOTE_USER_NAME};
            proxy_set_header X-Remote-User-Display-Name "{REMOTE_USER_DISPLAY_NAME}";
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Host $http_host;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_redirect {upstream}/ {ingress_path}/;
            proxy_buffering off;
            proxy_read_timeout 60s;
        }}
    }}
}}
"""


class IngressProxy:
    """``with IngressProxy(addon_port) as proxy:`` runs nginx until the block ends.

    ``url`` is the outer origin (Home Assistant's), ``ingress_path`` the prefix the add-on
    sees in ``X-Ingress-Path`` and ``ingress_url`` the panel's address through the proxy.
    """

    def __init__(
        self,
        addon_port: int,
        *,
        token: str = INGRESS_TOKEN,
        public_host: str = "127.0.0.1",
        workdir: Path | None = None,
        session_cookie: bool = False,
    ) -> None:
        self.addon_port = addon_port
        # The host name in the outer page's address decides what the panel offers: Oura
        # accepts plain http redirect URIs only on localhost, so another loopback address
        # (127.0.0.2) stands in for "http://homeassistant.local:8123".
        self.public_host = public_host
        self.listen_address = "127.0.0.1" if public_host == "localhost" else public_host
        self.ingress_path = f"/api/hassio_ingress/{token}"
        self.session = secrets.token_hex(16) if session_cookie else None
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="ingress-"))
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.public_host}:{self.port}"

    @property
    def ingress_url(self) -> str:
        return f"{self.url}{self.ingress_path}/"

    @property
    def error_log(self) -> str:
        path = self.workdir / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self, timeout: float = 10.0) -> IngressProxy:
        for name in _TEMP_PATHS:
            (self.workdir / "temp" / name).mkdir(parents=True, exist_ok=True)
        (self.workdir / "www").mkdir(exist_ok=True)
        (self.workdir / "www" / "outer.html").write_text(outer_page(self.ingress_path))
        self.port = free_port(self.listen_address)
        config = self.workdir / "nginx.conf"
        config.write_text(
            nginx_config(
                self.workdir,
                f"{self.listen_address}:{self.port}",
                self.addon_port,
                self.ingress_path,
                os.geteuid() == 0,
                self.session,
            )
        )
        stderr_path = self.workdir / "stderr.log"
        with stderr_path.open("wb") as stderr:
            self._process = subprocess.Popen(
                [NGINX, "-p", str(self.workdir), "-c", str(config), "-e", "stderr"],
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            try:
                with socket.create_connection((self.listen_address, self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        output = stderr_path.read_text(errors="replace")
        self.stop()
        raise RuntimeError(f"nginx did not start on port {self.port}:\n{output}\n{self.error_log}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)

    def cleanup(self) -> None:
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> IngressProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        self.cleanup()
