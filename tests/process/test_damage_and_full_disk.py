"""The real add-on against a hostile /data and absurd Oura answers (issue 23).

/data is a small tmpfs this test mounts (as root; skipped otherwise) and unmounts itself:
every kind of damaged file is planted before start, the tmpfs is filled and remounted
read-only while a token refresh happens, and the simulator's fault switches serve absurd
numbers and answers. The add-on must stay up, say what is wrong, and keep every token:
after each round the stored refresh token is still one the simulator accepts.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from oura_addon.simulator import SimulatorServer
from oura_addon.store.files import read_versioned
from tests.addon_process import (
    AddonProcess,
    PanelClient,
    addon_environment,
    simulated_oura,
    wait_for,
    write_options,
)

pytestmark = pytest.mark.slow

CLIENT_ID, CLIENT_SECRET = "hardening-client", "hardening-secret-7d1f"
OPTIONS = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "poll_interval": 60}


@contextlib.contextmanager
def small_tmpfs(size: str = "8m") -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs for /data needs root")
    mount_point = Path(tempfile.mkdtemp(prefix="oura-data-tmpfs-"))
    try:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(mount_point)],
            check=True,
            capture_output=True,
        )
    except (OSError, subprocess.CalledProcessError) as err:
        mount_point.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {err}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)
        mount_point.rmdir()


def remount(mount_point: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(mount_point)], check=True)


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorServer]:
    with simulated_oura(CLIENT_ID, CLIENT_SECRET, users=1, days=10) as server:
        yield server


def _stored_refresh_token(data_dir: Path) -> str | None:
    newest = read_versioned(data_dir / "accounts" / "oura.json")
    tokens = (newest.value if newest else {}).get("tokens") or {}
    return tokens.get("refresh_token")


def _plant_damage(data_dir: Path, outside: Path) -> None:
    """One of each kind of damage, at the files the add-on reads at start and during a sync."""
    (data_dir / "options.json").unlink()
    os.mkfifo(data_dir / "options.json")  # a pipe: a plain open() would block for ever
    for folder in ("accounts", "history", "history_import", "schedule"):
        (data_dir / folder).mkdir(exist_ok=True)
    forged = {
        "name": "oura",
        "entity_prefix": "oura",
        "tokens": {"access_token": "forged", "refresh_token": "forged", "expires_at": 1e300},
        "generation": 10**6,
    }
    (outside / "forged.json").write_text(json.dumps(forged))
    (data_dir / "accounts" / ".oura.json.abcdefgh.tmp").symlink_to(outside / "forged.json")
    (data_dir / "published.json").write_text("[" * 100_000 + "]" * 100_000)
    (data_dir / "statistics.json").write_bytes(b'{"statistics": {"\xff\xfe": 1}}')
    (data_dir / "history" / "oura.json").write_text(
        json.dumps({"sleep_score": {"2020-01-01": "eighty", "x": [1]}, "readiness": 5})
    )
    (data_dir / "history_import" / "oura.json").write_text('{"format": ' + "9" * 5000 + "}")
    (data_dir / "schedule" / "oura.json").symlink_to("/dev/zero")
    (data_dir / "token_urls.json").write_text(json.dumps({"generation": 2, CLIENT_ID: [1, 2]}))


class Addon:
    def __init__(self, data_dir: Path, log: Path, simulator: SimulatorServer) -> None:
        env = addon_environment(data_dir, simulator.url, "http://127.0.0.1:9/api")
        self.process = AddonProcess(data_dir=data_dir, log_path=log, env=env)
        self.simulator = simulator
        self.data_dir = data_dir

    def __enter__(self) -> Addon:
        self.process.start()
        self.panel = PanelClient(self.process.url)
        return self

    def __exit__(self, *exc: object) -> None:
        alive = self.process.process is not None and self.process.process.poll() is None
        self.process.stop()
        assert alive, f"the add-on died:\n{self.process.log_text[-4000:]}"

    def sync(self, *, may_fail: bool = False) -> dict:
        before = self.panel.account("oura")
        self.panel.sync("oura")
        return wait_for(
            lambda: (
                (a := self.panel.account("oura"))
                and not a["syncing"]
                and (
                    a["last_sync"] != before["last_sync"]
                    or (may_fail and a["last_error"] and a["last_error"] != before["last_error"])
                )
                and a
            ),
            90,
            what="a sync of oura",
        )

    def token_usable(self) -> bool:
        token = _stored_refresh_token(self.data_dir)
        return bool(token) and self.simulator.simulator.tokens.refresh_token_usable(token)

    def post(self, path: str, body: dict) -> object:
        return self.panel.session.post(f"{self.panel.base_url}{path}", json=body, timeout=30)


def test_damaged_files_a_full_and_a_read_only_data(simulator, tmp_path) -> None:
    with small_tmpfs() as data_dir:
        write_options(data_dir, OPTIONS)
        _plant_damage(data_dir, tmp_path)
        with Addon(data_dir, tmp_path / "addon.log", simulator) as addon:
            # It started and says what it ignored: the options pipe is a panel problem.
            problems = addon.panel.status()["problems"]
            assert any("options.json is ignored" in p and "pipe" in p for p in problems), problems
            # The forged copy behind a link at a temp-file path was not adopted.
            assert addon.panel.account("oura") is None
            # Credentials from the panel (the options file is unusable), then connect.
            response = addon.post(
                "/api/credentials",
                {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "portal": "classic"},
            )
            assert response.status_code == 200, response.text
            assert "Connected" in addon.panel.connect_with_auto_approve("oura").text
            account = wait_for(
                lambda: (a := addon.panel.account("oura"))["last_sync"] and a, 90, what="sync"
            )
            assert account["connection"] == "connected" and account["last_error"] is None
            assert any(e["state"] not in ("unknown", "") for e in account["entities"])
            assert addon.token_usable()
            assert json.loads((tmp_path / "forged.json").read_text())["generation"] == 10**6

            # /data full while Oura rotates the refresh token: the new pair is kept in memory.
            filler = data_dir / "filler"
            with contextlib.suppress(OSError), filler.open("wb") as out:
                while True:
                    out.write(b"\0" * 65536)
                    out.flush()
            spent = _stored_refresh_token(data_dir)
            simulator.simulator.expire_access_tokens()
            account = addon.sync()
            assert account["connection"] == "connected"
            assert not simulator.simulator.tokens.refresh_token_usable(spent)  # rotated at Oura
            problems = addon.panel.status()["problems"]
            assert any("(/data) is full" in p for p in problems), problems
            assert any("kept in memory" in p for p in problems), problems
            refused = addon.post("/api/accounts/oura/history", {})
            assert refused.status_code == 507 and "full" in refused.json()["message"]
            filler.unlink()
            wait_for(
                lambda: not any("kept in memory" in p for p in addon.panel.status()["problems"]),
                30,
                what="the kept pair to be stored",
            )
            assert addon.token_usable()

            # /data read-only during the next rotation: the same, with its own sentence.
            remount(data_dir, "ro")
            try:
                simulator.simulator.expire_access_tokens()
                account = addon.sync()
                assert account["connection"] == "connected"
                problems = addon.panel.status()["problems"]
                assert any("read-only" in p for p in problems), problems
                refused = addon.post("/api/accounts/oura/history", {})
                assert refused.status_code == 507 and "read-only" in refused.json()["message"]
            finally:
                remount(data_dir, "rw")
            wait_for(
                lambda: not any("kept in memory" in p for p in addon.panel.status()["problems"]),
                30,
                what="the kept pair to be stored",
            )
            assert addon.token_usable()
            assert "Traceback" not in addon.process.log_text


def _peak_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def test_absurd_oura_answers_keep_the_add_on_up_and_the_tokens(simulator, tmp_path) -> None:
    data_dir = tmp_path / "data"
    write_options(data_dir, OPTIONS)
    faults = simulator.simulator.faults
    with Addon(data_dir, tmp_path / "addon.log", simulator) as addon:
        assert "Connected" in addon.panel.connect_with_auto_approve("oura").text
        wait_for(lambda: addon.panel.account("oura")["last_sync"], 90, what="the first sync")

        # Token lifetimes of 10^300 s and of infinity: stored bounded, every account listed.
        for expires_in in (1e300, float("inf")):
            faults.absurd_token(expires_in=expires_in)
            simulator.simulator.expire_access_tokens()
            account = addon.sync()
            assert account["connection"] == "connected" and account["last_error"] is None
            assert addon.token_usable()
            stored = read_versioned(data_dir / "accounts" / "oura.json").value["tokens"]
            assert stored["expires_at"] <= time.time() + 31 * 86400
        assert [a["name"] for a in addon.panel.status()["accounts"]] == ["oura"]

        # A refresh answer without an access token: its new refresh token is kept.
        faults.absurd_token(drop_access_token=True)
        simulator.simulator.expire_access_tokens()
        failed = addon.sync(may_fail=True)
        assert "refresh token is stored" in failed["last_error"]
        assert addon.token_usable()
        account = addon.sync()
        assert account["last_error"] is None and account["connection"] == "connected"

        # A Retry-After of a billion seconds waits an hour at most.
        faults.rate_limit(count=1, retry_after=10**9)
        account = addon.sync()
        assert any("3600" in e for e in account["endpoint_errors"].values()), account
        now = datetime.now(UTC)
        for plan in account["schedule"]:
            at = datetime.fromisoformat(plan["next_fetch"])
            assert at < now + timedelta(days=1), plan  # not 2058
            if plan["reason"] == "rate_limited":
                assert at <= now + timedelta(hours=1, minutes=5), plan

        # A 1 GB gzip bomb and a 40 MB page: refused at the bound, memory stays flat.
        pid = addon.process.process.pid
        before = _peak_rss_kb(pid)
        faults.huge_answer(1024 * 1024 * 1024, endpoint="daily_sleep", compressed=True)
        faults.huge_answer(40 * 1024 * 1024, endpoint="daily_activity")
        # Past the rate limit's hour: ask for these endpoints now.
        addon.process.stop()
        addon.process.start()
        addon.panel = PanelClient(addon.process.url)
        pid = addon.process.process.pid
        account = addon.sync()
        errors = account["endpoint_errors"]
        assert "too large" in errors.get("daily_sleep", ""), errors
        assert "too large" in errors.get("daily_activity", ""), errors
        peak = _peak_rss_kb(pid)
        print(f"peak RSS after a 1 GB gzip bomb and a 40 MB page: {peak // 1024} MB")
        assert peak < max(before, 150_000) + 120_000
        assert addon.token_usable()
