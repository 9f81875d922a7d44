"""Wiring: build every part from one Settings object and run the panel and the scheduler."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial

from oura_addon import __version__
from oura_addon.history_import.runner import HistoryImport
from oura_addon.homeassistant import HomeAssistantClient, StatisticsImporter, SupervisorClient
from oura_addon.homeassistant.discovery import configuration_url
from oura_addon.homeassistant.modes import Publishing, choose_publishing
from oura_addon.homeassistant.supervisor import DASHBOARD_PATH
from oura_addon.logs import RecentLines, SecretRedactor, configure_logging
from oura_addon.memory import Allocator
from oura_addon.oura.clients import OuraClients, personal_info_for
from oura_addon.oura.oauth import OAuthClient, TokenUrlMemory
from oura_addon.oura.session import TokenSessions
from oura_addon.scheduling import Scheduler
from oura_addon.services import Services
from oura_addon.settings import Settings, load_settings
from oura_addon.store.accounts import AccountStore
from oura_addon.store.credentials import AppCredentialsStore
from oura_addon.store.files import VersionedFile, recover
from oura_addon.store.import_jobs import JobStore
from oura_addon.store.trends import TrendStore
from oura_addon.web import create_app
from oura_addon.web.server import create_server

_LOGGER = logging.getLogger(__name__)

# The Supervisor sends SIGKILL 10 s after SIGTERM (config.yaml ``timeout``): a refresh in
# flight gets most of that to store its new pair, the scheduler the rest.
REFRESH_STOP_TIMEOUT = 6.0
SCHEDULER_STOP_TIMEOUT = 2.0
DIAGNOSTICS_LOG_LINES = 200  # what the diagnostics file carries of the log


@dataclass
class Addon:
    settings: Settings
    services: Services
    scheduler: Scheduler
    sessions: TokenSessions
    history: HistoryImport
    publishing: Publishing | None = None
    allocator: Allocator = field(default_factory=Allocator)


def build_addon(
    settings: Settings,
    redactor: SecretRedactor,
    *,
    publish: bool = True,
    recent_logs: RecentLines | None = None,
    allocator: Allocator | None = None,
) -> Addon:
    allocator = allocator or Allocator()
    redactor.add(*settings.secrets)
    accounts = AccountStore(settings.data_dir, on_secret=redactor.add)
    # Before anything reads a token: a crash may have left the newest copy aside.
    accounts.recover()
    for versioned in ("app.json", "token_urls.json"):
        recover(settings.data_dir / versioned)
    credentials = AppCredentialsStore(
        settings.data_dir,
        settings.client_id,
        settings.client_secret,
        options_portal=settings.portal,
        on_secret=redactor.add,
    )
    oauth = OAuthClient.from_settings(
        settings, TokenUrlMemory(VersionedFile(settings.data_dir / "token_urls.json"))
    )
    sessions = TokenSessions(accounts, credentials.get, oauth.refresh)
    clients = OuraClients(settings.oura_api_url, sessions, on_missing_scope=accounts.drop_scope)
    ha = HomeAssistantClient.from_settings(settings) if publish else None
    supervisor = SupervisorClient.from_settings(settings)
    panel = supervisor.panel_url() if publish else DASHBOARD_PATH
    publishing = (
        choose_publishing(
            settings,
            ha=ha,
            supervisor=supervisor,
            accounts=accounts,
            personal_id=lambda name: clients(name).personal_info().id,
            configuration_url=configuration_url(panel),
        )
        if ha is not None
        else None
    )
    statistics = (
        StatisticsImporter(
            settings.ha_ws_url,
            settings.supervisor_token,
            settings.data_dir / "statistics.json",
            ha_config=ha.get_config,
            unique_ids=publishing.unique_ids if publishing else None,
        )
        if ha
        else None
    )
    scheduler = Scheduler(
        settings=settings,
        accounts=accounts,
        oura_client=clients,
        trends=TrendStore(settings.data_dir),
        ha=ha,
        publisher=publishing.publisher if publishing else None,
        statistics=statistics,
        panel_url=panel,
        after_sync=allocator.release_free_pages,
    )
    history = HistoryImport(
        accounts=accounts,
        oura_client=clients,
        statistics=statistics,
        store=JobStore(settings.data_dir),
        timezone=scheduler.home_timezone,
    )
    services = Services(
        settings=settings,
        accounts=accounts,
        credentials=credentials,
        oauth=oauth,
        oura_client=clients,
        sync=scheduler,
        redactor=redactor,
        recent_logs=recent_logs,
        home_assistant_config=ha.get_config if ha else None,
        # Without Home Assistant (the demo without --ha-url) there is nowhere to import into.
        history=history if statistics is not None else None,
        publishing=publishing.state if publishing else None,
        oura_identity=partial(personal_info_for, settings.oura_api_url),
    )
    return Addon(settings, services, scheduler, sessions, history, publishing, allocator)


def serve(addon: Addon) -> None:
    """Serve the panel until SIGTERM/SIGINT, then stop the scheduler within a few seconds."""
    settings = addon.settings
    app = create_app(settings, addon.services, after_request=addon.allocator.release_now_and_then)
    server = create_server(
        app, host=settings.host, port=settings.port, trusted=settings.trusted_clients
    )

    def on_signal(signum: int, _frame: object) -> None:
        _LOGGER.info("Stopping (signal %d)", signum)
        # waitress's run() ends on SystemExit and shuts its worker threads down; closing the
        # server from here instead can leave its loop waiting on its wake-up pipe forever.
        raise SystemExit(0)

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
    addon.scheduler.start()
    addon.history.resume_all()
    _LOGGER.info(
        "Oura add-on %s: panel on http://%s:%s",
        __version__,
        settings.host,
        server.effective_port,
    )
    try:
        server.run()
    finally:
        addon.history.stop()
        # Syncs that only fetch data are abandoned; a refresh in flight is waited for, since
        # its new pair exists nowhere else once Oura has answered.
        addon.sessions.stop(timeout=REFRESH_STOP_TIMEOUT)
        addon.scheduler.stop(timeout=SCHEDULER_STOP_TIMEOUT)
        if addon.publishing is not None:
            addon.publishing.stop()  # entities turn unavailable at once
        server.close()
    _LOGGER.info("Stopped")


def main(environ: Mapping[str, str] | None = None) -> None:
    allocator = Allocator()
    allocator.limit_arenas()  # before the first worker thread starts
    settings = load_settings(environ)
    redactor = SecretRedactor(settings.secrets)
    recent_logs = RecentLines(DIAGNOSTICS_LOG_LINES)
    configure_logging(settings.log_level, redactor, recent_logs)
    for problem in settings.problems:
        _LOGGER.warning("Configuration: %s", problem)
    serve(build_addon(settings, redactor, recent_logs=recent_logs, allocator=allocator))
