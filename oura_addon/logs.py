"""Logging set-up with a filter that keeps secrets out of every log line."""

from __future__ import annotations

import logging
import re
import threading
from collections import deque
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


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LOG_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


class RecentLines(logging.Handler):
    """The last ``size`` log lines, formatted, kept in memory for the diagnostics file.

    Bounded (a deque), and fed through the redactor like every other handler.
    """

    def __init__(self, size: int = 200) -> None:
        super().__init__()
        self._lines: deque[str] = deque(maxlen=size)
        self.setFormatter(logging.Formatter(LOG_FORMAT, LOG_DATE_FORMAT))

    def emit(self, record: logging.LogRecord) -> None:
        # Handler.handle() holds self.lock around emit(): appends and reads never interleave.
        try:
            self._lines.append(self.format(record))
        except Exception:  # a record that cannot be formatted must not break logging
            self.handleError(record)

    def lines(self) -> list[str]:
        self.acquire()
        try:
            return list(self._lines)
        finally:
            self.release()


def configure_logging(
    level: str, redactor: SecretRedactor, recent: RecentLines | None = None
) -> None:
    """Root logging to stderr (the add-on log tab) with the redactor on every handler;
    ``recent`` also keeps the last lines for the diagnostics file."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(LOG_FORMAT, LOG_DATE_FORMAT))
    handler.addFilter(redactor)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    if recent is not None:
        recent.addFilter(redactor)
        root.addHandler(recent)
    root.setLevel(level.upper())
    # waitress logs each queue warning; requests/urllib3 would log URLs with query strings.
    logging.getLogger("urllib3").setLevel(logging.WARNING)
