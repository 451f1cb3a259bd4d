"""Room for uploads on the data directory's file system, with a reserve kept free.

SQLite, the job runner and the logs share that file system: an upload that fills it breaks
them all. So an upload is refused (507) unless its declared size fits above the reserve,
both when it is announced and when its bytes begin to arrive, and a write that still runs
out of space is removed and answered the same way.
"""

from __future__ import annotations

import errno
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

from mpr.core.errors import InsufficientStorageError, LimitExceededError


def check_room(directory: Path, needed: int, reserve: int) -> None:
    """InsufficientStorageError unless `needed` bytes fit in `directory` above `reserve`."""
    directory.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(directory).free
    if free - needed < reserve:
        raise InsufficientStorageError(
            f"not enough free storage: the upload needs {needed} bytes, the server has "
            f"{max(0, free - reserve)} bytes free above its reserve of {reserve} bytes"
        )


def free_above_reserve(directory: Path, reserve: int) -> int:
    """Bytes that may still be written to `directory`'s file system (negative: into reserve)."""
    return shutil.disk_usage(directory).free - reserve


@contextmanager
def out_of_space_is_507(needed: int) -> Iterator[None]:
    """Turn ENOSPC/EDQUOT raised in the block into InsufficientStorageError."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        raise InsufficientStorageError(
            f"the server ran out of storage while writing the upload ({needed} bytes)"
        ) from exc


@contextmanager
def scratch_file(directory: Path) -> Iterator[Path]:
    """A new file name in `directory`, removed when the block ends, however it ends."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f".incoming.{uuid.uuid4().hex}"
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


async def spool(stream: AsyncIterator[bytes], limit: int, into: Path) -> int:
    """Write a request body to `into`; LimitExceededError past `limit` bytes, 507 when the
    file system fills up. The caller removes `into` (see `scratch_file`)."""
    written = 0
    with out_of_space_is_507(limit), into.open("wb") as f:
        async for chunk in stream:
            written += len(chunk)
            if written > limit:
                raise LimitExceededError(f"more than the declared {limit} bytes were sent")
            f.write(chunk)
    return written
