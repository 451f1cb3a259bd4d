"""Ports: the protocols that adapters implement and the stages, API and CLI depend on."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol, TypeVar

from mpr.core.models import JobRecord, JobStatus


class Storage(Protocol):
    """Object storage addressed by keys with `/` separators (a directory or an S3 bucket)."""

    def put_file(self, key: str, path: Path, content_type: str | None = None) -> None:
        """Store a local file under `key` (multipart for large files where supported).

        The store may keep `path` itself (a hard link): write new files, never into one
        that was stored or downloaded."""

    def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> None: ...

    def get_bytes(self, key: str) -> bytes:
        """Read a whole object; raise NotFoundError if it does not exist."""

    def head(self, key: str, length: int) -> bytes:
        """The first `length` bytes of an object (a ranged GET for S3)."""

    def download(self, key: str, path: Path) -> None:
        """Copy (or link) an object to a local file; NotFoundError if it does not exist."""

    def local_path(self, key: str) -> AbstractContextManager[Path]:
        """A local file holding the object for the duration of the block (no copy if local)."""

    def read_url(self, key: str) -> str:
        """A URL or path ffmpeg can read ranges from (a presigned GET for S3)."""

    def exists(self, key: str) -> bool: ...

    def size(self, key: str) -> int:
        """Size in bytes; raise NotFoundError if the object does not exist."""

    def list(self, prefix: str) -> Iterator[str]:
        """Keys under a prefix, in lexical order."""

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under a prefix; return how many were deleted."""

    def copy_to(
        self, key: str, target: Storage, target_key: str, content_type: str | None = None
    ) -> None:
        """Copy an object into `target` under `target_key`, without reading it through this
        process where both stores allow (a server-side copy, a hard link)."""


class JobStore(Protocol):
    """Job state with atomic, rule-checked transitions and progress counting."""

    def create(self, job: JobRecord) -> JobRecord:
        """Insert a new job; if its idempotency key was used before, return that job."""

    def get(self, job_id: str) -> JobRecord:
        """Raise NotFoundError if there is no such job."""

    def list(
        self,
        status: JobStatus | None = None,
        limit: int = 50,
        cursor: str | None = None,
        *,
        owner: str | None = None,
    ) -> tuple[list[JobRecord], str | None]:
        """Jobs newest first, optionally by status and by owner (None: every owner);
        returns the page and the next cursor."""

    def transition(
        self,
        job_id: str,
        target: JobStatus,
        *,
        stage: str | None = None,
        error: str | None = None,
        error_cause: str | None = None,
        manifest_key: str | None = None,
    ) -> JobRecord:
        """Move a job to `target` if the rules allow it from its current status, atomically;
        raise JobStateError otherwise."""

    def set_stage(self, job_id: str, stage: str, *, chunks_total: int | None = None) -> None: ...

    def add_progress(self, job_id: str, chunks: int = 1) -> JobRecord:
        """Atomically add finished chunk encodes."""

    def count_chunk(self, job_id: str, chunk: int) -> JobRecord:
        """Count chunk `chunk` as finished once: a retried chunk changes nothing. A new
        `chunks_total` (`set_stage`) forgets the chunks counted."""

    def record_timing(self, job_id: str, stage: str, seconds: float) -> None: ...


class UploadDocument(Protocol):
    """What an upload store reads of a record; the rest passes through as its JSON."""

    @property
    def upload_id(self) -> str: ...

    @property
    def owner(self) -> str: ...

    @property
    def status(self) -> str: ...

    def model_dump_json(self) -> str: ...


UploadT = TypeVar("UploadT", bound=UploadDocument)


class UploadStore(Protocol[UploadT]):
    """Upload records, whatever their model, with atomic read-modify-write updates."""

    def create(self, record: UploadT) -> UploadT:
        """Insert a new record; InvalidInputError if its id is taken."""

    def get(self, upload_id: str) -> UploadT:
        """Raise NotFoundError if there is no such upload."""

    def update(self, upload_id: str, change: Callable[[UploadT], UploadT]) -> UploadT:
        """Store `change(current)` in place of the current record, atomically: no other
        update lands in between (`change` may run again on a newer record, so it is pure;
        it raises to refuse, and returning its argument writes nothing). NotFoundError if
        there is no such upload."""


class Orchestrator(Protocol):
    """Starts and stops the pipeline for a job (the local runner or Step Functions)."""

    def start(self, job: JobRecord) -> object: ...

    def cancel(self, job_id: str) -> None: ...


class Notifier(Protocol):
    """Tells the outside world that a job ended (signed webhook)."""

    def job_ended(self, job: JobRecord) -> None: ...
