"""The embedded data directory: one server at a time, and scratch space swept at start."""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

from mpr.core.errors import MprError

LOCK_FILE = "server.lock"
SCRATCH = "scratch"


class DataDirInUseError(MprError):
    """Another server holds the data directory."""

    code = "DataDirInUseError"


class DataDirLock:
    """An exclusive `flock` on `DATA_DIR/server.lock`, which also names the holder's pid.
    The kernel drops it when the holder exits, however it exits."""

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        path = data_dir / LOCK_FILE
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(self._fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(self._fd)
            raise DataDirInUseError(
                f"the data directory {data_dir} is in use by another mpr server (pid {holder});"
                " stop it, or give this one another --data-dir"
            ) from None
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, f"{os.getpid()}\n".encode(), 0)

    def release(self) -> None:
        if self._fd >= 0:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = -1


def fresh_scratch(data_dir: Path) -> Path:
    """`DATA_DIR/scratch`, emptied: what is there was left by a server that died."""
    scratch = data_dir / SCRATCH
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    return scratch
