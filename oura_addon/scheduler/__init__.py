"""The background work: the loop (loop.py), one account's sync (sync.py), the accounts'
runtimes and the one removal rule (runtime.py), the reconnect notification (notifier.py) and
Home Assistant's time zone (timezone.py)."""

from .loop import Scheduler
from .sync import BACKFILL_ENDPOINTS

__all__ = ["BACKFILL_ENDPOINTS", "Scheduler"]
