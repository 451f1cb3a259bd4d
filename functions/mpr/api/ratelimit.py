"""Per-key request rate limiting (a sliding one-minute window, per process)."""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable


class RateLimiter:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._limit = per_minute
        self._clock = clock
        self._hits: defaultdict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> int | None:
        """Count a request by `key`; None if allowed, else seconds until one would be."""
        return self._check(key, count=True)

    def waiting(self, key: str) -> int | None:
        """Like `retry_after`, without counting a request."""
        return self._check(key, count=False)

    def _check(self, key: str, *, count: bool) -> int | None:
        now = self._clock()
        with self._lock:
            hits = self._hits[key]
            while hits and hits[0] <= now - 60:
                hits.popleft()
            if len(hits) >= self._limit:
                return max(1, math.ceil(hits[0] + 60 - now))
            if count:
                hits.append(now)
        return None
