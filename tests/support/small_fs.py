"""A real, small file system for disk-full cases: tmpfs, else a loop-mounted ext4 image."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _mount(args: list[str]) -> bool:
    return subprocess.run(["mount", *args], capture_output=True, check=False).returncode == 0


@contextmanager
def small_file_system(where: Path, megabytes: int) -> Iterator[Path]:
    """Mount a `megabytes` MB file system at `where` (needs root; skipped without it)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root")
    where.mkdir(parents=True, exist_ok=True)
    if not _mount(["-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(where)]):
        image = where.with_suffix(".img")
        with image.open("wb") as f:
            f.truncate(megabytes * 1024 * 1024)
        subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], check=True)
        assert _mount(["-o", "loop", str(image), str(where)]), "neither tmpfs nor a loop mount"
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(directory: Path, leave: int = 0) -> Path:
    """Write a file in `directory` until its file system has at most `leave` bytes free."""
    filler = directory / f"filler-{len(list(directory.glob('filler-*')))}.bin"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        while (free := shutil.disk_usage(directory).free) > leave:
            os.write(fd, b"\0" * min(64 * 1024, free - leave))
    except OSError:  # the file system is full
        pass
    finally:
        os.close(fd)
    return filler
