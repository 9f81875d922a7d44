"""Wiring: build every part from one Settings object and run the panel and the scheduler."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from oura_addon import __version__
from oura_addon.history_import.runner import HistoryImport
from oura_addon.homeassistant import HomeAssistantClient, StatisticsImporter, SupervisorClient
from oura_addon.homeassistant.discovery import configuration_url
from oura_addon.homeassistant.modes import Publishing, choose_publishing
from oura_addon.homeassistant.supervisor import DASHBOARD_PATH
from oura_addon.insights.engine import Insights
from oura_addon.logs import RecentLines, SecretRedactor, configure_logging
from oura_addon.memory import Allocator
from oura_addon.oura.clients import OuraClients, personal_info_for
from oura_addon.oura.clock import ClockWatch
from oura_addon.oura.oauth import OAuthClient, TokenUrlMemory
from oura_addon.oura.session import TokenSessions
from oura_addon.oura.webhooks import WebhookApi
from oura_addon.scheduling import Scheduler
from oura_addon.scheduling.push import PushEvents
from oura_addon.scheduling.webhooks import WebhookManager
from oura_addon.services import Services
from oura_addon.settings import Settings, load_settings
from oura_addon.store.accounts import AccountStore
from oura_addon.store.credentials import AppCredentialsStore
from oura_addon.store.files import VersionedFile, recover
from oura_addon.store.import_jobs import JobStore
from oura_addon.store.insights import InsightStore
from oura_addon.store.trends import TrendStore
from oura_addon.store.webhooks import WebhookStore
from oura_addon.web import create_app
from oura_addon.web.server import create_server
from oura_addon.web.webhook import WebhookApp, create_webhook_server

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
    insights: Insights | None = None
    webhooks: Webhooks | None = None


@dataclass
class Webhooks:
    """Push from Oura: the subscriptions' keeper, the event worker, the port's application."""

    manager: WebhookManager
    events: PushEvents
    app: WebhookApp


def build_webhooks(
    settings: Settings,
    redactor: SecretRedactor,
    accounts: AccountStore,
    credentials: AppCredentialsStore,
    clients: OuraClients,
    scheduler: Scheduler,
) -> Webhooks:
    store = WebhookStore(settings.data_dir, on_secret=redactor.add)
    events = PushEvents(accounts=accounts, oura_client=clients, store=store, target=scheduler)
    manager = WebhookManager(
        callback_url=settings.webhook_url,
        accounts=accounts,
        credentials=credentials.get,
        store=store,
        api=WebhookApi(settings.oura_api_url),
        on_pushed=scheduler.set_pushed,
        lapsed=scheduler.push_lapsed,
        last_event=lambda: events.last_event,
    )

    def secrets() -> list[str]:
        current = credentials.get()
        kept = store.load().client
        return [s for s in (current and current.client_secret, kept and kept[1]) if s]

    app = WebhookApp(
        verification_token=lambda: store.load().verification_token or None,
        secrets=secrets,
        on_event=events.offer,
    )
    return Webhooks(manager, events, app)


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
    clock = ClockWatch()
    clients = OuraClients(
        settings.oura_api_url,
        sessions,
        on_missing_scope=accounts.drop_scope,
        on_answer_date=clock.observe,
    )
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
    trends = TrendStore(settings.data_dir)
    scheduler = Scheduler(
        settings=settings,
        accounts=accounts,
        oura_client=clients,
        trends=trends,
        ha=ha,
        publisher=publishing.publisher if publishing else None,
        statistics=statistics,
        panel_url=panel,
        after_sync=allocator.release_free_pages,
        announce=publishing.announce if publishing else None,
    )
    if publishing is not None:
        publishing.on_sync_pressed(scheduler.sync_now)
    history = HistoryImport(
        accounts=accounts,
        oura_client=clients,
        statistics=statistics,
        store=JobStore(settings.data_dir),
        timezone=scheduler.home_timezone,
    )
    insights = (
        Insights(
            store=InsightStore(settings.data_dir),
            accounts=accounts,
            oura_client=clients,
            session=statistics.session,
            timezone=scheduler.home_timezone,
            night_ready=lambda name, day: (
                day.isoformat() in trends.load(name).get("sleep_score", {})
            ),
            publisher=publishing.publisher if publishing else None,
        )
        if statistics
        else None
    )
    webhooks = build_webhooks(settings, redactor, accounts, credentials, clients, scheduler)
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
        insights=insights,
        webhooks=webhooks.manager,
        oura_identity=partial(personal_info_for, settings.oura_api_url),
        clock=clock.problem,
    )
    return Addon(
        settings,
        services,
        scheduler,
        sessions,
        history,
        publishing,
        allocator,
        insights,
        webhooks,
    )


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
    if addon.insights is not None:
        addon.insights.start()
    webhook_server = start_webhooks(addon)
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
        if addon.insights is not None:
            addon.insights.stop()
        if addon.webhooks is not None:
            addon.webhooks.manager.stop()
            addon.webhooks.events.stop()
        if webhook_server is not None:
            webhook_server.close()
        # Syncs that only fetch data are abandoned; a refresh in flight is waited for, since
        # its new pair exists nowhere else once Oura has answered.
        addon.sessions.stop(timeout=REFRESH_STOP_TIMEOUT)
        addon.scheduler.stop(timeout=SCHEDULER_STOP_TIMEOUT)
        if addon.publishing is not None:
            addon.publishing.stop()  # entities turn unavailable at once
        server.close()
    _LOGGER.info("Stopped")


def start_webhooks(addon: Addon) -> Any:
    """The subscriptions' keeper always runs (it deletes what a removed option left); the
    webhook port only listens when the option is set."""
    if addon.webhooks is None:
        return None
    settings = addon.settings
    addon.webhooks.events.start()
    addon.webhooks.manager.start()
    if settings.webhook_url is None:
        return None
    try:
        server = create_webhook_server(
            addon.webhooks.app, host=settings.host, port=settings.webhook_port
        )
    except OSError as err:  # the port taken: the panel and polling carry on
        _LOGGER.error(
            "Webhooks: cannot listen on port %s (%s); Oura's data is polled",
            settings.webhook_port,
            err.strerror or type(err).__name__,
        )
        return None
    threading.Thread(target=server.run, name="oura-webhook-port", daemon=True).start()
    _LOGGER.info(
        "Webhooks: listening on port %s for %s", server.effective_port, settings.webhook_url
    )
    return server


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
