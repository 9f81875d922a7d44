"""The "Download diagnostics" file: everything a bug report needs, with every secret redacted.

``build_diagnostics`` is pure: the web layer gathers the facts (the edge) and passes them in.
Redaction happens twice: secret fields are blanked by name (settings fields declared with
``repr=False``, tokens, the email unless asked for), then every string in the document goes
through the add-on's redactor, which knows each secret value it has seen (client secret,
tokens, Supervisor token, MQTT password) and credential-shaped text such as ``code=...``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

from oura_addon.logs import REDACTED
from oura_addon.services import AccountSnapshot, AddonSnapshot
from oura_addon.settings import Settings

FORMAT = 1


@dataclass(frozen=True)
class AccountFacts:
    name: str
    entity_prefix: str
    connection: str
    email: str | None
    auth_error: str | None
    scopes: tuple[str, ...]
    token_expires_at: datetime | None
    snapshot: AccountSnapshot


@dataclass(frozen=True)
class DiagnosticsFacts:
    """What the add-on knows right now; gathered by the caller, never a token string."""

    generated_at: datetime
    addon_version: str
    settings: Settings
    credentials: Mapping[str, Any]  # client_id, source, has_secret, problems
    home_assistant: Mapping[str, Any]  # version, language... or error
    publisher: AddonSnapshot
    accounts: Sequence[AccountFacts]
    log_lines: Sequence[str]
    # The panel's problems (options, /data, the clock), in English.
    problems: Sequence[str] = ()
    # ``WebhookControl.status()`` with its message in English; None without webhooks.
    webhooks: Mapping[str, Any] | None = None
    # The sleep insights: {"chosen": [...], "accounts": {name: [relation, ...]}}; None off.
    insights: Mapping[str, Any] | None = None


def build_diagnostics(
    facts: DiagnosticsFacts,
    *,
    redact: Callable[[str], str],
    include_email: bool = False,
) -> dict[str, Any]:
    """The diagnostics document; ``redact`` is the add-on's log redactor."""
    emails = [a.email for a in facts.accounts if a.email]
    hide = (lambda text: text) if include_email else _hider(emails)
    document = {
        "format": FORMAT,
        "generated_at": _plain(facts.generated_at),
        "addon": {"version": facts.addon_version, "simulator": facts.settings.demo},
        "home_assistant": dict(facts.home_assistant),
        "settings": settings_without_secrets(facts.settings),
        "credentials": {
            "client_id": facts.credentials.get("client_id"),
            "source": facts.credentials.get("source"),
            "has_secret": bool(facts.credentials.get("has_secret")),
            "problems": list(facts.credentials.get("problems") or []),
        },
        "publisher": {
            "publish_mode": facts.settings.publish_mode,
            "home_assistant": str(facts.publisher.home_assistant),
            "url": facts.publisher.home_assistant_url,
            "last_publish": _plain(facts.publisher.last_publish),
            "error": facts.publisher.error,
        },
        "problems": list(facts.problems),
        "accounts": [_account(a, include_email) for a in facts.accounts],
        "webhooks": _plain(dict(facts.webhooks)) if facts.webhooks is not None else None,
        "insights": _insights(facts.insights) if facts.insights is not None else None,
        "log": list(facts.log_lines),
    }
    return _map_strings(document, lambda text: hide(redact(text)))


def settings_without_secrets(settings: Settings) -> dict[str, Any]:
    """Every setting; the secret ones (declared ``repr=False``) only say whether they are set."""
    result: dict[str, Any] = {}
    for field in dataclasses.fields(settings):
        value = getattr(settings, field.name)
        if not field.repr:
            result[field.name] = REDACTED if value else None
        else:
            result[field.name] = _plain(value)
    return result


def _account(account: AccountFacts, include_email: bool) -> dict[str, Any]:
    snap = account.snapshot
    return {
        "name": account.name,
        "entity_prefix": account.entity_prefix,
        "connection": account.connection,
        "email": (account.email if include_email else REDACTED) if account.email else None,
        "auth_error": account.auth_error,
        "granted_scopes": list(account.scopes),
        "token_expires_at": _plain(account.token_expires_at),
        "last_sync": _plain(snap.last_sync),
        "next_sync": _plain(snap.next_sync),
        "syncing": snap.syncing,
        "last_error": snap.last_error,
        "endpoint_errors": dict(snap.endpoint_errors),
        "schedule": [
            {
                "group": plan.group,
                "next_fetch": _plain(plan.next_fetch),
                "reason": plan.reason,
            }
            for plan in snap.schedule
        ],
        "entities": len(snap.states),
    }


# Of each stored relation, what says how it was judged; not the bins or the sentence.
RELATION_KEYS = ("entity_id", "measure", "nights", "correlation", "interval", "clear")


def _insights(insights: Mapping[str, Any]) -> dict[str, Any]:
    accounts = insights.get("accounts") or {}
    return {
        "chosen": list(insights.get("chosen") or ()),
        "accounts": {
            name: [
                {key: relation.get(key) for key in RELATION_KEYS}
                for relation in relations
                if isinstance(relation, Mapping)
            ]
            for name, relations in accounts.items()
        },
        **({"error": insights["error"]} if insights.get("error") else {}),
    }


def _hider(values: Iterable[str]) -> Callable[[str], str]:
    ordered = sorted({v for v in values if v}, key=len, reverse=True)

    def hide(text: str) -> str:
        for value in ordered:
            text = text.replace(value, REDACTED)
        return text

    return hide


def _plain(value: Any) -> Any:
    """A JSON value: datetimes as ISO text, paths and enums as text, tuples as lists."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _map_strings(value: Any, change: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return change(value)
    if isinstance(value, list | tuple):
        return [_map_strings(v, change) for v in value]
    if isinstance(value, Mapping):
        return {change(str(k)): _map_strings(v, change) for k, v in value.items()}
    return value
