"""When to ask Oura and what to do with the answer: the pure schedule (schedule), what it
remembers per account (memory), the loop (loop), one account's sync (sync), the accounts'
runtimes and the one removal rule (runtime), the reconnect notification (notifier) and Home
Assistant's time zone (timezone)."""

from oura_addon.scheduling.loop import Scheduler
from oura_addon.scheduling.sync import BACKFILL_ENDPOINTS

__all__ = ["BACKFILL_ENDPOINTS", "Scheduler"]
