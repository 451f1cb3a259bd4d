"""Per-key request rate limiting: a sliding one-minute window, per process, or shared by
every API server through Redis (MPR_REDIS_URL, else MPR_QUEUE_URL)."""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Protocol

from mpr.core.errors import RetryableError
from mpr.settings import Settings


class Limiter(Protocol):
    def retry_after(self, key: str) -> int | None:
        """Count a request by `key`; None if allowed, else seconds until one would be."""

    def waiting(self, key: str) -> int | None:
        """Like `retry_after`, without counting a request."""


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


class RedisRateLimiter:
    """The same sliding window kept in Redis (the `limits` library's moving window), so N
    API servers enforce one limit per key."""

    def __init__(self, url: str, per_minute: int, name: str = "requests") -> None:
        from limits import RateLimitItemPerMinute
        from limits.storage import RedisStorage
        from limits.strategies import MovingWindowRateLimiter

        self._item = RateLimitItemPerMinute(per_minute)
        self._limiter = MovingWindowRateLimiter(
            RedisStorage(url, key_prefix=f"mpr-rate-{name}", wrap_exceptions=True)
        )

    def retry_after(self, key: str) -> int | None:
        return self._check(key, count=True)

    def waiting(self, key: str) -> int | None:
        return self._check(key, count=False)

    def _check(self, key: str, *, count: bool) -> int | None:
        from limits.errors import StorageError

        try:
            allowed = (self._limiter.hit if count else self._limiter.test)(self._item, key)
            if allowed:
                return None
            reset_at, _ = self._limiter.get_window_stats(self._item, key)
        except StorageError as exc:
            raise RetryableError(f"the rate limit store is unreachable: {exc}") from exc
        return max(1, math.ceil(reset_at - time.time()))


def rate_limiter(settings: Settings, per_minute: int, name: str) -> Limiter:
    """A limit of `per_minute` called `name`: shared through Redis when MPR_REDIS_URL or
    MPR_QUEUE_URL is set, else per process."""
    url = settings.redis_url or settings.queue_url
    if url:
        return RedisRateLimiter(url, per_minute, name)
    return RateLimiter(per_minute)
