"""An UploadStore in PostgreSQL: the record as a JSON document beside its id, owner and
status, with a version that makes every update a compare-and-set.

`update` reads the record and its version from the primary, applies the change, and writes
only if the version is still the one it read; otherwise it reads again and retries, so
concurrent updates (two API servers completing one upload, a deadline against a probe)
never lose one another.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic

from mpr.adapters.postgres_db import PostgresDatabase
from mpr.core.errors import InvalidInputError, NotFoundError
from mpr.ports import UploadT


class PostgresUploadStore(Generic[UploadT]):
    def __init__(self, database: PostgresDatabase, parse: Callable[[str], UploadT]) -> None:
        self._db = database
        self._parse = parse

    def create(self, record: UploadT) -> UploadT:
        inserted = self._db.write(
            "INSERT INTO uploads (upload_id, owner, status, version, document)"
            " VALUES (%s, %s, %s, 1, %s) ON CONFLICT DO NOTHING RETURNING upload_id",
            [record.upload_id, record.owner, str(record.status), record.model_dump_json()],
        )
        if not inserted:
            raise InvalidInputError(f"upload {record.upload_id} already exists")
        return record

    def get(self, upload_id: str) -> UploadT:
        rows = self._db.read("SELECT document FROM uploads WHERE upload_id = %s", [upload_id])
        if not rows:
            raise NotFoundError(f"no upload {upload_id}")
        return self._parse(rows[0]["document"])

    def update(self, upload_id: str, change: Callable[[UploadT], UploadT]) -> UploadT:
        while True:
            rows = self._db.read_primary(
                "SELECT document, version FROM uploads WHERE upload_id = %s", [upload_id]
            )
            if not rows:
                raise NotFoundError(f"no upload {upload_id}")
            current = self._parse(rows[0]["document"])
            changed = change(current)
            if changed is current:
                return current
            if changed.upload_id != upload_id:
                raise InvalidInputError(f"an update of upload {upload_id} cannot change its id")
            if self._db.write(
                "UPDATE uploads SET document = %s, status = %s, version = version + 1,"
                " updated_at = now() WHERE upload_id = %s AND version = %s RETURNING upload_id",
                [changed.model_dump_json(), str(changed.status), upload_id, rows[0]["version"]],
            ):
                return changed
