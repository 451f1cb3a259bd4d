"""Work storage for a chunk encode that may outlive its job.

Stopping an execution (cancel) or failing it does not stop a Lambda invocation that is
already running: the encode goes on and would write its chunk after the job's work files
were removed. Through `LiveJobStorage` every write first checks that the job has not ended.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

from mpr.adapters.local_orchestrator import JobCancelledError
from mpr.core.jobs import TERMINAL
from mpr.ports import JobStore, Storage


class LiveJobStorage:
    """A Storage whose writes raise JobCancelledError once the job has ended."""

    def __init__(self, storage: Storage, jobs: JobStore, job_id: str) -> None:
        self._storage = storage
        self._jobs = jobs
        self._job_id = job_id

    def check(self) -> None:
        """Raise JobCancelledError if the job was cancelled or failed meanwhile."""
        status = self._jobs.get(self._job_id).status
        if status in TERMINAL:
            raise JobCancelledError(f"job {self._job_id} is {status.value}; nothing written")

    def put_file(self, key: str, path: Path, content_type: str | None = None) -> None:
        self.check()
        self._storage.put_file(key, path, content_type)

    def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> None:
        self.check()
        self._storage.put_bytes(key, data, content_type)

    def get_bytes(self, key: str) -> bytes:
        return self._storage.get_bytes(key)

    def head(self, key: str, length: int) -> bytes:
        return self._storage.head(key, length)

    def download(self, key: str, path: Path) -> None:
        self._storage.download(key, path)

    def local_path(self, key: str) -> AbstractContextManager[Path]:
        return self._storage.local_path(key)

    def read_url(self, key: str) -> str:
        return self._storage.read_url(key)

    def exists(self, key: str) -> bool:
        return self._storage.exists(key)

    def size(self, key: str) -> int:
        return self._storage.size(key)

    def list(self, prefix: str) -> Iterator[str]:
        return self._storage.list(prefix)

    def delete_prefix(self, prefix: str) -> int:
        return self._storage.delete_prefix(prefix)

    def copy_to(
        self, key: str, target: Storage, target_key: str, content_type: str | None = None
    ) -> None:
        self.check()
        self._storage.copy_to(key, target, target_key, content_type)
