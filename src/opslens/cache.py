"""The result cache of the analytics endpoints (seed 003 "Caching Strategy", made safe).

Entries live in process memory with seed 003's time-to-live per period. Each key includes the
organization's data version, which every ingest bumps inside its transaction, so a write
expires every cached result of that organization in every worker at once — no stale numbers
after new data, whatever the TTL. ``refresh=true`` (the seed's refresh button) recomputes.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class ResultCache:
    def __init__(self, max_entries: int = 512, clock: Callable[[], float] = time.monotonic):
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries
        self._clock = clock

    def get_or_compute(
        self, key: Hashable, ttl_seconds: float, compute: Callable[[], Any], refresh: bool = False
    ) -> tuple[Any, bool]:
        """The cached value of ``key`` if fresh, else ``compute()`` stored; and whether it hit."""
        now = self._clock()
        if not refresh:
            with self._lock:
                entry = self._entries.get(key)
                if entry is not None and entry[0] > now:
                    self._entries.move_to_end(key)
                    return entry[1], True
        value = compute()
        with self._lock:
            self._entries[key] = (now + ttl_seconds, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return value, False

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
