"""The retry policy shared by every remote (Oura's API, Home Assistant's core API).

Each remote owns one ``requests.Session`` and one ``RetryPolicy``; every call goes through
``RetryPolicy.send`` so timeouts, backoff with jitter and ``Retry-After`` are handled in one
place rather than at each call site.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from oura_addon import __version__

_LOGGER = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({500, 502, 503, 504})
# How the add-on introduces itself to every remote (Oura, Home Assistant, the Supervisor).
USER_AGENT = f"oura-ha-addon/{__version__}"


def new_session(user_agent: str = USER_AGENT) -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = user_agent
    # Proxies from the environment must never divert loopback test traffic or HA's API.
    session.trust_env = False
    return session


def retry_after_seconds(response: requests.Response, default: float) -> float:
    """Seconds to wait from a Retry-After header (delta-seconds form), else ``default``."""
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return default


@dataclass
class RetryPolicy:
    """Retry connection errors, 5xx and 429 with exponential backoff and full jitter."""

    attempts: int = 4
    backoff_base: float = 1.0
    backoff_max: float = 30.0
    max_retry_after: float = 300.0
    timeout: float | tuple[float, float] = (5.0, 30.0)
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
        label = label or f"{method} {url.split('?')[0]}"
        for attempt in range(self.attempts):
            last = attempt == self.attempts - 1
            try:
                response = session.request(method, url, **kwargs)
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
                if delay > self.max_retry_after:
                    return response
                _LOGGER.info("%s rate limited; waiting %.0fs as asked", label, delay)
            elif response.status_code in RETRYABLE_STATUS:
                delay = self.backoff(attempt)
                _LOGGER.debug(
                    "%s answered %s; retrying in %.1fs", label, response.status_code, delay
                )
            else:
                return response
            response.close()
            self.sleep(delay)
        raise AssertionError("unreachable")
