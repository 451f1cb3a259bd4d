"""An UploadStore in object storage: each record as JSON at `uploads/{id}/upload.json`.

The embedded server's store (the data directory's `state/`, or its `--storage` area).
Creates and updates are atomic within one process, under one lock: the embedded server is
the only process on its data directory. Across processes an update would be
read-modify-write without a condition (the one written last stands), so several processes
keep uploads in PostgreSQL (`postgres_uploads`) or, in the cloud, DynamoDB
(`dynamo_uploads`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic

from mpr.core.errors import InvalidInputError, NotFoundError
from mpr.ports import Storage, UploadT


def record_key(upload_id: str) -> str:
    return f"uploads/{upload_id}/upload.json"


class StorageUploadStore(Generic[UploadT]):
    def __init__(self, storage: Storage, parse: Callable[[bytes], UploadT]) -> None:
        self._storage = storage
        self._parse = parse
        self._lock = threading.Lock()

    def _put(self, record: UploadT) -> UploadT:
        data = record.model_dump_json().encode()
        self._storage.put_bytes(record_key(record.upload_id), data, "application/json")
        return record

    def create(self, record: UploadT) -> UploadT:
        with self._lock:
            if self._storage.exists(record_key(record.upload_id)):
                raise InvalidInputError(f"upload {record.upload_id} already exists")
            return self._put(record)

    def get(self, upload_id: str) -> UploadT:
        try:
            return self._parse(self._storage.get_bytes(record_key(upload_id)))
        except NotFoundError:
            raise NotFoundError(f"no upload {upload_id}") from None

    def update(self, upload_id: str, change: Callable[[UploadT], UploadT]) -> UploadT:
        with self._lock:
            current = self.get(upload_id)
            changed = change(current)
            return current if changed is current else self._put(changed)
