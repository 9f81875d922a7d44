"""The retry policy shared by every remote (Oura's API, Home Assistant's core API).

Each remote owns one ``requests.Session`` and one ``RetryPolicy``; every call goes through
``RetryPolicy.send`` so timeouts, backoff with jitter and ``Retry-After`` are handled in one
place rather than at each call site.
"""

from __future__ import annotations

import email.utils
import logging
import math
import random
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from oura_addon import __version__

_LOGGER = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({500, 502, 503, 504})
# How the add-on introduces itself to every remote (Oura, Home Assistant, the Supervisor).
USER_AGENT = f"oura-ha-addon/{__version__}"


# Oura may ask for a pause; a longer one than this is an absurd answer, not a plan.
MAX_RETRY_AFTER = 3600.0
# No answer of any remote is near this, decoded; a bigger one would only fill memory.
MAX_ANSWER_BYTES = 32 * 1024 * 1024
# Every call ends within this, however slowly the other end drips its answer.
DEFAULT_DEADLINE = 60.0
_CHUNK = 16 * 1024


class AnswerTooLarge(requests.RequestException):
    """The answer (decoded) is larger than the caller's bound; it was not read further."""


class DeadlineExceeded(requests.Timeout):
    """The call, answer included, took longer than its total deadline."""


class UnreadableAnswer(requests.RequestException):
    """The answer's body could not be decoded (an encoding we never asked for, or damaged)."""


def new_session(user_agent: str = USER_AGENT) -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = user_agent
    # Only encodings whose inflation ``read_bounded`` can bound as it goes.
    session.headers["Accept-Encoding"] = "gzip, deflate"
    # Proxies from the environment must never divert loopback test traffic or HA's API.
    session.trust_env = False
    return session


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After value (seconds or an HTTP date), at most an hour.

    None when absent or unreadable. A date in the past is 0.
    """
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if math.isnan(seconds):
        return None
    return min(MAX_RETRY_AFTER, max(0.0, seconds))


def retry_after_seconds(response: requests.Response, default: float) -> float:
    """Seconds to wait from a Retry-After header (bounded as above), else ``default``."""
    seconds = parse_retry_after(response.headers.get("Retry-After"))
    return default if seconds is None else seconds


def _decoder(encoding: str) -> Any:
    """A decompressor for Content-Encoding ``encoding``; None for identity."""
    names = [part.strip() for part in encoding.lower().split(",") if part.strip()]
    names = [name for name in names if name != "identity"]
    if not names:
        return None
    if names in (["gzip"], ["x-gzip"], ["deflate"]):
        # zlib or gzip header auto-detected; raw deflate handled below.
        return zlib.decompressobj(zlib.MAX_WBITS | 32)
    raise UnreadableAnswer(f"unexpected Content-Encoding {encoding!r}")


def read_bounded(
    response: requests.Response, *, limit: int = MAX_ANSWER_BYTES, deadline: float
) -> bytes:
    """Read a streamed answer's body, decoded, refusing more than ``limit`` bytes or
    reading past ``deadline`` (time.monotonic()). The body is kept as the response's content.
    """
    raw = response.raw
    decoder = _decoder(response.headers.get("Content-Encoding", ""))
    parts: list[bytes] = []
    size = 0
    try:
        while True:
            if time.monotonic() > deadline:
                raise DeadlineExceeded("the answer took longer than its deadline")
            chunk = raw.read1(_CHUNK, decode_content=False)
            if not chunk:
                break
            pending = chunk
            while pending:
                if decoder is None:
                    piece, pending = pending, b""
                else:
                    # max_length bounds what one call may inflate: a bomb stops at the limit.
                    piece = decoder.decompress(pending, limit - size + 1)
                    pending = decoder.unconsumed_tail
                size += len(piece)
                if size > limit:
                    raise AnswerTooLarge(f"the answer is larger than {limit} bytes")
                parts.append(piece)
                if decoder is not None and not piece and pending:
                    break  # no progress: damaged stream, handled below
        if decoder is not None:
            tail = decoder.flush()
            size += len(tail)
            if size > limit:
                raise AnswerTooLarge(f"the answer is larger than {limit} bytes")
            parts.append(tail)
    except zlib.error as err:
        raise UnreadableAnswer("the answer's compression is damaged") from err
    except Exception:
        response.close()
        raise
    body = b"".join(parts)
    response._content = body
    response._content_consumed = True
    response.close()
    return body


@dataclass
class RetryPolicy:
    """Retry connection errors, 5xx and 429 with exponential backoff and full jitter."""

    attempts: int = 4
    backoff_base: float = 1.0
    backoff_max: float = 30.0
    max_retry_after: float = 300.0
    timeout: float | tuple[float, float] = (5.0, 30.0)
    # The whole call (retries and waits included) and the decoded size of one answer.
    deadline: float = DEFAULT_DEADLINE
    max_answer_bytes: int = MAX_ANSWER_BYTES
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    jitter: Callable[[float], float] = field(
        default=lambda cap: random.uniform(0, cap),  # noqa: S311 - jitter, not crypto
        repr=False,
    )

    def backoff(self, attempt: int) -> float:
        return self.jitter(min(self.backoff_max, self.backoff_base * 2**attempt))

    def send(
        self,
        session: requests.Session,
        method: str,
        url: str,
        *,
        label: str = "",
        **kwargs: Any,
    ) -> requests.Response:
        """Send a request, retrying what is worth retrying.

        Returns the last response (which may still be an error status for the caller to
        interpret); raises the last ``requests.RequestException`` if no response was had.
        """
        kwargs.setdefault("timeout", self.timeout)
        kwargs["stream"] = True
        label = label or f"{method} {url.split('?')[0]}"
        deadline = time.monotonic() + self.deadline
        for attempt in range(self.attempts):
            last = attempt == self.attempts - 1
            try:
                if time.monotonic() > deadline:
                    raise DeadlineExceeded(f"{label} took longer than {self.deadline:.0f} s")
                response = session.request(method, url, **kwargs)
                read_bounded(response, limit=self.max_answer_bytes, deadline=deadline)
            except (AnswerTooLarge, DeadlineExceeded, UnreadableAnswer) as err:
                _LOGGER.warning("%s: %s", label, err)
                raise
            except (requests.ConnectionError, requests.Timeout) as err:
                if last:
                    raise
                delay = self.backoff(attempt)
                _LOGGER.debug("%s failed (%s); retrying in %.1fs", label, type(err).__name__, delay)
                self.sleep(delay)
                continue
            if last:
                return response
            if response.status_code == 429:
                delay = retry_after_seconds(response, self.backoff(attempt))
                if delay > self.max_retry_after or time.monotonic() + delay > deadline:
                    return response
                _LOGGER.info("%s rate limited; waiting %.0fs as asked", label, delay)
            elif response.status_code in RETRYABLE_STATUS:
                delay = self.backoff(attempt)
                if time.monotonic() + delay > deadline:
                    return response
                _LOGGER.debug(
                    "%s answered %s; retrying in %.1fs", label, response.status_code, delay
                )
            else:
                return response
            response.close()
            self.sleep(delay)
        raise AssertionError("unreachable")
