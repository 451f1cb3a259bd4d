"""The API's own records in PostgreSQL: API keys (as hashes) and webhook delivery attempts."""

from __future__ import annotations

import psycopg

from mpr.adapters.api_keys import ApiKey
from mpr.adapters.postgres_db import PostgresDatabase, Row
from mpr.adapters.webhook_notifier import WebhookDelivery
from mpr.core.errors import InvalidInputError, NotFoundError

KEY_COLUMNS = "key_id, name, key_hash, created_at, revoked, admin"


def _key(row: Row) -> ApiKey:
    return ApiKey.model_validate(row)


class PostgresApiKeyStore:
    def __init__(self, database: PostgresDatabase) -> None:
        self._db = database

    def add(self, key: ApiKey) -> None:
        try:
            self._db.write(
                f"INSERT INTO api_keys ({KEY_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s)",  # noqa: S608
                [key.key_id, key.name, key.key_hash, key.created_at, key.revoked, key.admin],
            )
        except psycopg.errors.UniqueViolation as exc:
            raise InvalidInputError(f"API key {key.key_id} already exists") from exc

    def find_by_hash(self, key_hash: str) -> ApiKey | None:
        # the primary: a key just revoked must stop working at once
        rows = self._db.read_primary(
            f"SELECT {KEY_COLUMNS} FROM api_keys WHERE key_hash = %s",  # noqa: S608
            [key_hash],
        )
        return _key(rows[0]) if rows else None

    def list(self) -> list[ApiKey]:
        rows = self._db.read(f"SELECT {KEY_COLUMNS} FROM api_keys ORDER BY created_at")  # noqa: S608
        return [_key(row) for row in rows]

    def get(self, key_id: str) -> ApiKey | None:
        # the primary, as find_by_hash: a revoked key's signed links stop at once
        rows = self._db.read_primary(
            f"SELECT {KEY_COLUMNS} FROM api_keys WHERE key_id = %s",  # noqa: S608
            [key_id],
        )
        return _key(rows[0]) if rows else None

    def revoke(self, key_id: str) -> None:
        if not self._db.write(
            "UPDATE api_keys SET revoked = true WHERE key_id = %s RETURNING key_id", [key_id]
        ):
            raise NotFoundError(f"no API key with id {key_id}")


class PostgresDeliveryLog:
    """Every webhook delivery attempt as a row, listed in the order they were made."""

    def __init__(self, database: PostgresDatabase) -> None:
        self._db = database

    def append(self, job_id: str, delivery: WebhookDelivery) -> None:
        self._db.write(
            "INSERT INTO webhook_deliveries (job_id, document) VALUES (%s, %s)",
            [job_id, delivery.model_dump_json()],
        )

    def list(self, job_id: str) -> list[WebhookDelivery]:
        rows = self._db.read(
            "SELECT document FROM webhook_deliveries WHERE job_id = %s ORDER BY seq", [job_id]
        )
        return [WebhookDelivery.model_validate_json(row["document"]) for row in rows]
