"""Logging set-up with a filter that keeps secrets out of every log line."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

REDACTED = "**REDACTED**"

# Shapes that carry credentials even when we do not know the value in advance. A key must
# be a whole word: ``status_code=200`` or ``error_code: invalid_grant`` are diagnostics.
_SECRET_PATTERNS = (
    re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(
        r"(?i)((?<![\w-])(?:access_token|refresh_token|id_token|client_secret|code|password"
        r"|token)[\"']?\s*[=:]\s*[\"']?)[^&\s\"',}]+"
    ),
)


class SecretRedactor(logging.Filter):
    """Replaces known secret values and credential-shaped substrings in every record.

    Known values are registered at run time (tokens arrive after start-up), so the set is
    guarded by a lock: waitress threads and the scheduler log concurrently.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._secrets: set[str] = {s for s in secrets if s and len(s) >= 4}

    def add(self, *secrets: str | None) -> None:
        with self._lock:
            self._secrets.update(s for s in secrets if s and len(s) >= 4)

    def redact(self, text: str) -> str:
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for secret in secrets:
            text = text.replace(secret, REDACTED)
        for pattern in _SECRET_PATTERNS:
            text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if redacted != message or record.args:
            record.msg, record.args = redacted, None
        return True


def configure_logging(level: str, redactor: SecretRedactor) -> None:
    """Root logging to stderr (the add-on log tab) with the redactor on every handler."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")
    )
    handler.addFilter(redactor)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # waitress logs each queue warning; requests/urllib3 would log URLs with query strings.
    logging.getLogger("urllib3").setLevel(logging.WARNING)
