"""API keys and webhook deliveries in PostgreSQL, held to what the SQLite and memory key
stores and the storage delivery log do."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mpr.adapters.api_keys import (
    ApiKey,
    ApiKeyStore,
    MemoryApiKeyStore,
    SqliteApiKeyStore,
    authenticate,
    create_key,
    live,
)
from mpr.adapters.local_storage import LocalStorage
from mpr.adapters.postgres_db import PostgresDatabase
from mpr.adapters.postgres_records import PostgresApiKeyStore, PostgresDeliveryLog
from mpr.adapters.webhook_notifier import DeliveryLog, StorageDeliveryLog, WebhookDelivery
from mpr.core.errors import NotFoundError

T0 = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)


@pytest.fixture
def database(postgres_url: str) -> Iterator[PostgresDatabase]:
    opened = PostgresDatabase(postgres_url)
    yield opened
    opened.close()


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def keys(request: pytest.FixtureRequest, tmp_path: Path) -> ApiKeyStore:
    if request.param == "memory":
        return MemoryApiKeyStore()
    if request.param == "sqlite":
        return SqliteApiKeyStore(tmp_path / "keys.db")
    return PostgresApiKeyStore(request.getfixturevalue("database"))


def test_a_key_authenticates_until_revoked(keys: ApiKeyStore) -> None:
    record, secret = create_key(keys, "ci")

    assert authenticate(keys, secret) == record
    assert live(keys, record.key_id) == record
    keys.revoke(record.key_id)
    assert authenticate(keys, secret) is None
    assert live(keys, record.key_id) is None
    assert keys.get(record.key_id) == record.model_copy(update={"revoked": True})


def test_keys_list_oldest_first_with_their_admin_flag(keys: ApiKeyStore) -> None:
    for i, admin in enumerate([False, True, False]):
        keys.add(
            ApiKey(
                key_id=f"k{i}",
                name=f"key {i}",
                key_hash=f"{i:064x}",
                created_at=T0 + timedelta(seconds=i),
                admin=admin,
            )
        )

    assert [(k.key_id, k.admin) for k in keys.list()] == [
        ("k0", False), ("k1", True), ("k2", False),
    ]  # fmt: skip
    assert keys.find_by_hash(f"{1:064x}") == keys.get("k1")
    assert keys.find_by_hash("f" * 64) is None
    assert keys.get("nope") is None


def test_revoking_an_unknown_key_is_not_found(keys: ApiKeyStore) -> None:
    with pytest.raises(NotFoundError):
        keys.revoke("nope")


@pytest.fixture(params=["storage", "postgres"])
def deliveries(request: pytest.FixtureRequest, tmp_path: Path) -> DeliveryLog:
    if request.param == "storage":
        return StorageDeliveryLog(LocalStorage(tmp_path / "state"))
    return PostgresDeliveryLog(request.getfixturevalue("database"))


def attempt(number: int, ok: bool) -> WebhookDelivery:
    return WebhookDelivery(
        attempt=number,
        status_code=200 if ok else 503,
        at=T0 + timedelta(seconds=number),
        ok=ok,
        error=None if ok else "HTTP 503",
    )


def test_deliveries_list_per_job_in_the_order_made(deliveries: DeliveryLog) -> None:
    deliveries.append("j1", attempt(1, ok=False))
    deliveries.append("j2", attempt(1, ok=True))
    deliveries.append("j1", attempt(2, ok=True))

    assert deliveries.list("j1") == [attempt(1, ok=False), attempt(2, ok=True)]
    assert deliveries.list("j2") == [attempt(1, ok=True)]
    assert deliveries.list("j3") == []


def test_deliveries_written_by_one_process_are_read_by_another(postgres_url: str) -> None:
    writer, reader = PostgresDatabase(postgres_url), PostgresDatabase(postgres_url)

    PostgresDeliveryLog(writer).append("j1", attempt(1, ok=True))

    assert PostgresDeliveryLog(reader).list("j1") == [attempt(1, ok=True)]
    writer.close()
    reader.close()
