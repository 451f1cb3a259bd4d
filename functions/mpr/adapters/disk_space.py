"""Room on the data directory's file system, reserved per running job.

A job reserves an upper bound of what it will write before its first encode; a job that
does not fit fails at once with the numbers, and the jobs already running keep the room
they reserved. A write that still finds the disk full is reported the same way.
"""

from __future__ import annotations

import errno
import shutil
import threading
from pathlib import Path

from mpr.core.errors import MprError
from mpr.core.models import ChunkTask

MIB = 1024 * 1024
# chunk files, the stitched file and the outputs; links make some of these free
COPIES = 3
FIXED_BYTES = 4 * MIB  # manifests, thumbnails, sprites, playlists


class InsufficientStorageError(MprError):
    """The data directory has no room for the job."""

    code = "InsufficientStorageError"


def job_bytes(tasks: list[ChunkTask], *, audio_kbps: int, seconds: float) -> int:
    """An upper bound of what a job writes: every rendition at its maximum bit rate (the
    encoder's VBV cap) and every audio encoding of every track (`audio_kbps`, see
    `core.audio.job_kbps`), for the planned `seconds`, `COPIES` times."""
    renditions = [sized.rendition for sized in tasks[0].renditions] if tasks else []
    kbps = sum(r.max_bitrate_kbps for r in renditions) + audio_kbps
    return int(kbps * 125 * seconds * COPIES) + FIXED_BYTES


class SpaceLedger:
    """What the running jobs have reserved on the file system that holds `root`, which
    always keeps `reserve_bytes` free (for the job database, among others)."""

    def __init__(self, root: Path, reserve_bytes: int = 0) -> None:
        self.root = root
        self.reserve_bytes = reserve_bytes
        self._held: dict[str, int] = {}
        self._lock = threading.Lock()

    def reserve(self, job_id: str, needed: int) -> None:
        """Hold `needed` bytes for the job, or raise InsufficientStorageError."""
        with self._lock:
            free = shutil.disk_usage(self.root).free
            held = sum(size for job, size in self._held.items() if job != job_id)
            available = max(0, free - held - self.reserve_bytes)
            if needed > available:
                kept = [
                    f"{held / MIB:.1f} MiB held by running jobs" if held else "",
                    f"{self.reserve_bytes / MIB:.1f} MiB kept in reserve"
                    if self.reserve_bytes
                    else "",
                ]
                raise InsufficientStorageError(
                    f"no space on the data dir {self.root}: the job needs up to "
                    f"{needed / MIB:.1f} MiB, {available / MIB:.1f} MiB is free"
                    + (f" ({', '.join(k for k in kept if k)})" if any(kept) else "")
                )
            self._held[job_id] = needed

    def release(self, job_id: str) -> None:
        with self._lock:
            self._held.pop(job_id, None)

    def explain(self, error: BaseException) -> BaseException:
        """The error to report for `error`: a clear one if the disk was full."""
        if isinstance(error, OSError) and error.errno == errno.ENOSPC:
            free = shutil.disk_usage(self.root).free
            return InsufficientStorageError(
                f"no space left on the data dir {self.root} while writing the job's files "
                f"({free / MIB:.1f} MiB free now)"
            )
        return error
