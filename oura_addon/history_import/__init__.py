"""The whole Oura history as Home Assistant long-term statistics.

``days`` (which sensors, each day's value), ``job`` (the import's state machine) and
``rows`` (statistics rows) are pure; ``oura_addon.store.import_jobs`` keeps each account's job
in /data; ``runner`` fetches, imports and checkpoints, one thread per account.
"""
