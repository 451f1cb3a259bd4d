"""API keys: random secrets shown once, stored only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from mpr.core.errors import InvalidInputError, NotFoundError

KEY_PREFIX = "mpr_"


class ApiKey(BaseModel):
    """What is kept about a key: never the key itself."""

    model_config = ConfigDict(frozen=True)

    key_id: str
    name: str = Field(min_length=1, max_length=100)
    key_hash: str = Field(description="SHA-256 of the full key, hex")
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    revoked: bool = False
    admin: bool = Field(False, description="sees and acts on every owner's jobs and uploads")


class ApiKeyStore(Protocol):
    def add(self, key: ApiKey) -> None: ...

    def find_by_hash(self, key_hash: str) -> ApiKey | None: ...

    def list(self) -> list[ApiKey]: ...

    def get(self, key_id: str) -> ApiKey | None:
        """The key with id `key_id` (revoked or not), or None."""

    def revoke(self, key_id: str) -> None:
        """Raise NotFoundError if there is no such key."""


def hash_key(key: str) -> str:
    """The stored form of a key (keys are 192-bit random, so a plain hash is enough)."""
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(store: ApiKeyStore, name: str, *, admin: bool = False) -> tuple[ApiKey, str]:
    """Make, store and return a new key; the secret is returned once and never stored.

    An `admin` key sees every owner's jobs and uploads; any other key sees only its own."""
    name = name.strip()
    if not name:
        raise InvalidInputError("a key needs a name")
    key_id = secrets.token_hex(6)
    secret = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(24)}"
    record = ApiKey(key_id=key_id, name=name, key_hash=hash_key(secret), admin=admin)
    store.add(record)
    return record, secret


def authenticate(store: ApiKeyStore, key: str) -> ApiKey | None:
    """The live key record matching `key`, or None."""
    if not key.startswith(KEY_PREFIX):
        return None
    record = store.find_by_hash(hash_key(key))
    if record is None or record.revoked:
        return None
    return record


def live(store: ApiKeyStore, key_id: str) -> ApiKey | None:
    """The key with id `key_id` if it exists and is not revoked, else None."""
    record = store.get(key_id)
    return None if record is None or record.revoked else record


class MemoryApiKeyStore:
    """Keys in a dict: for tests and single-process experiments."""

    def __init__(self) -> None:
        self._keys: dict[str, ApiKey] = {}
        self._lock = threading.Lock()

    def add(self, key: ApiKey) -> None:
        with self._lock:
            self._keys[key.key_id] = key

    def find_by_hash(self, key_hash: str) -> ApiKey | None:
        with self._lock:
            return next((k for k in self._keys.values() if k.key_hash == key_hash), None)

    def list(self) -> list[ApiKey]:
        with self._lock:
            return sorted(self._keys.values(), key=lambda k: k.created_at)

    def get(self, key_id: str) -> ApiKey | None:
        with self._lock:
            return self._keys.get(key_id)

    def revoke(self, key_id: str) -> None:
        with self._lock:
            if key_id not in self._keys:
                raise NotFoundError(f"no API key with id {key_id}")
            self._keys[key_id] = self._keys[key_id].model_copy(update={"revoked": True})


_SQLITE_COLUMNS = "key_id, name, key_hash, created_at, revoked, admin"


class SqliteApiKeyStore:
    """Keys in a SQLite file (the embedded default, under the data directory)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        with self._connect() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS api_keys (key_id TEXT PRIMARY KEY, name TEXT NOT NULL,"
                " key_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL,"
                " revoked INTEGER NOT NULL DEFAULT 0)"
            )
            columns = {row[1] for row in db.execute("PRAGMA table_info(api_keys)")}
            if "admin" not in columns:  # a keys.db from before admin keys
                db.execute("ALTER TABLE api_keys ADD COLUMN admin INTEGER NOT NULL DEFAULT 0")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self._path, timeout=30, isolation_level=None)

    @staticmethod
    def _row(row: tuple[Any, ...]) -> ApiKey:
        key_id, name, key_hash, created_at, revoked, admin = row
        return ApiKey(
            key_id=key_id,
            name=name,
            key_hash=key_hash,
            created_at=datetime.fromisoformat(created_at),
            revoked=bool(revoked),
            admin=bool(admin),
        )

    def add(self, key: ApiKey) -> None:
        with self._connect() as db:
            db.execute(
                "INSERT INTO api_keys (key_id, name, key_hash, created_at, revoked, admin)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    key.key_id,
                    key.name,
                    key.key_hash,
                    key.created_at.isoformat(),
                    int(key.revoked),
                    int(key.admin),
                ),
            )

    def _select(self, where: str = "", params: tuple[str, ...] = ()) -> list[ApiKey]:
        sql = f"SELECT {_SQLITE_COLUMNS} FROM api_keys {where} ORDER BY created_at"  # noqa: S608
        with self._connect() as db:
            rows = db.execute(sql, params).fetchall()
        return [self._row(r) for r in rows]

    def find_by_hash(self, key_hash: str) -> ApiKey | None:
        found = self._select("WHERE key_hash = ?", (key_hash,))
        return found[0] if found else None

    def list(self) -> list[ApiKey]:
        return self._select()

    def get(self, key_id: str) -> ApiKey | None:
        found = self._select("WHERE key_id = ?", (key_id,))
        return found[0] if found else None

    def revoke(self, key_id: str) -> None:
        with self._connect() as db:
            changed = db.execute(
                "UPDATE api_keys SET revoked = 1 WHERE key_id = ?", (key_id,)
            ).rowcount
        if not changed:
            raise NotFoundError(f"no API key with id {key_id}")


class DynamoApiKeyStore:
    """Keys in a DynamoDB table with partition key `key_hash` (the cloud deployment)."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def add(self, key: ApiKey) -> None:
        self._table.put_item(
            Item={**key.model_dump(mode="json"), "revoked": key.revoked},
            ConditionExpression="attribute_not_exists(key_hash)",
        )

    def find_by_hash(self, key_hash: str) -> ApiKey | None:
        item = self._table.get_item(Key={"key_hash": key_hash}).get("Item")
        return None if item is None else ApiKey.model_validate(item)

    def list(self) -> list[ApiKey]:
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {}
        while True:
            page = self._table.scan(**kwargs)
            items.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return sorted((ApiKey.model_validate(i) for i in items), key=lambda k: k.created_at)

    def get(self, key_id: str) -> ApiKey | None:
        """A scan: key tables hold a handful of keys."""
        return next((k for k in self.list() if k.key_id == key_id), None)

    def revoke(self, key_id: str) -> None:
        match = self.get(key_id)
        if match is None:
            raise NotFoundError(f"no API key with id {key_id}")
        self._table.update_item(
            Key={"key_hash": match.key_hash},
            UpdateExpression="SET revoked = :t",
            ExpressionAttributeValues={":t": True},
        )
