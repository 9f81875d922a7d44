"""Sleep insights: which bedroom conditions (Home Assistant's long-term statistics of chosen
entities) go with better nights.

``core`` is pure (night windows, night means, rank correlation, bins, sentences);
``statistics`` reads Home Assistant's statistics over the websocket; ``engine`` decides when
to recompute and keeps the results in /data.
"""
