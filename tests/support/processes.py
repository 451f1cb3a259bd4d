"""The processes this test process started, read from Linux's /proc."""

from __future__ import annotations

import os
from pathlib import Path


def child_processes() -> list[tuple[int, str]]:
    """(pid, command line) of each child of any thread of this process."""
    me = os.getpid()
    found = []
    for thread in Path(f"/proc/{me}/task").iterdir():
        for pid in (thread / "children").read_text().split():
            cmdline = Path(f"/proc/{pid}/cmdline")
            if cmdline.exists():
                found.append((int(pid), cmdline.read_bytes().replace(b"\0", b" ").decode()))
    return found
