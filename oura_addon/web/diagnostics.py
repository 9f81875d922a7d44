"""``GET /api/diagnostics``'s edge: gather what the add-on knows, survive any part failing,
and hand it to the pure builder in ``oura_addon.web.diagnostics_report``."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from oura_addon import __version__
from oura_addon.errors import AddonError
from oura_addon.services import AccountSnapshot, AddonSnapshot, HomeAssistantState, Services
from oura_addon.web.diagnostics_report import AccountFacts, DiagnosticsFacts, build_diagnostics
from oura_addon.web.views import addon_problems, credentials_description

_LOGGER = logging.getLogger(__name__)

# Of Home Assistant's /api/config, what helps with a bug report (not its location).
HOME_ASSISTANT_KEYS = ("version", "language", "time_zone", "unit_system", "state", "safe_mode")


def diagnostics_document(services: Services, include_email: bool) -> dict[str, Any]:
    facts = DiagnosticsFacts(
        generated_at=datetime.now(UTC),
        addon_version=__version__,
        settings=services.settings,
        credentials=credentials_description(services),
        home_assistant=_home_assistant(services),
        publisher=_publisher(services),
        accounts=_accounts(services),
        log_lines=services.recent_logs.lines() if services.recent_logs else [],
        problems=_problems(services),
        webhooks=_webhooks(services),
        insights=_insights(services),
    )
    return build_diagnostics(facts, redact=services.redactor.redact, include_email=include_email)


def _home_assistant(services: Services) -> dict[str, Any]:
    if services.home_assistant_config is None:
        return {"error": "no Home Assistant configured (demo mode or no API access)"}
    try:
        config = services.home_assistant_config()
    except Exception as err:  # the file is most wanted exactly when Home Assistant is down
        return {"error": err.user_message if isinstance(err, AddonError) else type(err).__name__}
    return {key: config.get(key) for key in HOME_ASSISTANT_KEYS if key in config}


def _problems(services: Services) -> list[str]:
    try:
        return [str(problem) for problem in addon_problems(services)]
    except Exception:
        _LOGGER.exception("Cannot gather the add-on's problems for the diagnostics")
        return ["problems unavailable"]


def _webhooks(services: Services) -> dict[str, Any] | None:
    if services.webhooks is None:
        return None
    try:
        status = services.webhooks.status()
    except Exception:
        _LOGGER.exception("Cannot read the webhooks' status for the diagnostics")
        return {"error": "status unavailable"}
    return {**status, "message": str(status.get("message") or "")}


def _insights(services: Services) -> dict[str, Any] | None:
    insights = services.insights
    if insights is None:
        return None
    try:
        return {
            "chosen": insights.chosen(),
            "accounts": {a.name: insights.results(a.name) for a in services.accounts.list()},
        }
    except Exception:
        _LOGGER.exception("Cannot read the sleep insights for the diagnostics")
        return {"chosen": [], "accounts": {}, "error": "insights unavailable"}


def _publisher(services: Services) -> AddonSnapshot:
    try:
        return services.sync.addon_snapshot()
    except Exception:
        _LOGGER.exception("Cannot read the publisher's status for the diagnostics")
        return AddonSnapshot(
            HomeAssistantState.UNREACHABLE, services.settings.ha_api_url, error="status unavailable"
        )


def _accounts(services: Services) -> list[AccountFacts]:
    try:
        accounts = services.accounts.list()
    except Exception:
        _LOGGER.exception("Cannot list the accounts for the diagnostics")
        return []
    facts = []
    for account in accounts:
        try:
            snapshot = services.sync.account_snapshot(account.name)
        except Exception:
            snapshot = AccountSnapshot(name=account.name, entity_prefix=account.entity_prefix)
        facts.append(
            AccountFacts(
                name=account.name,
                entity_prefix=account.entity_prefix,
                connection=str(account.connection),
                email=account.email,
                auth_error=account.auth_error,
                scopes=tuple(getattr(account, "scopes", ()) or ()),
                token_expires_at=getattr(account, "token_expires_at", None),
                snapshot=snapshot,
            )
        )
    return facts
