"""Rate limits shared through Redis: two API servers count one window per key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mpr.adapters.api_keys import create_key
from mpr.api import create_app
from mpr.api.ratelimit import RedisRateLimiter
from mpr.services import build_local
from mpr.settings import Settings

LIMIT = 5


@pytest.fixture
def two_apis(tmp_path: Path, redis_url: str) -> Iterator[tuple[TestClient, TestClient, str]]:
    """Two API apps over one data directory and one Redis, with one key: API servers only,
    as N servers in front of `mpr worker` processes are (jobs go to the queue)."""
    settings = Settings(
        data_dir=tmp_path / "data", queue_url=redis_url, rate_limit_per_minute=LIMIT
    )
    first, second = build_local(settings), build_local(settings)
    _, key = create_key(first.keys, "tests")
    headers = {"X-API-Key": key}
    with (
        TestClient(create_app(first), headers=headers) as a,
        TestClient(create_app(second), headers=headers) as b,
    ):
        yield a, b, key
    first.close()
    second.close()


def test_two_api_servers_enforce_one_limit_per_key(
    two_apis: tuple[TestClient, TestClient, str],
) -> None:
    a, b, _ = two_apis

    statuses = [(a if i % 2 else b).get("/v1/jobs").status_code for i in range(LIMIT)]
    refused_a, refused_b = a.get("/v1/jobs"), b.get("/v1/jobs")

    assert statuses == [200] * LIMIT
    assert (refused_a.status_code, refused_b.status_code) == (429, 429)
    assert 1 <= int(refused_a.headers["Retry-After"]) <= 60


def test_each_key_has_its_own_window(redis_url: str) -> None:
    first, second = RedisRateLimiter(redis_url, 2), RedisRateLimiter(redis_url, 2)

    before = first.waiting("alice")
    alice = [first.retry_after("alice"), second.retry_after("alice"), first.retry_after("alice")]
    bob = second.retry_after("bob")

    assert before is None
    assert second.waiting("alice") is not None  # full, and asking does not count
    assert alice[:2] == [None, None]
    assert alice[2] is not None
    assert 1 <= alice[2] <= 60
    assert bob is None
