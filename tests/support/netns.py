"""Run code in a network namespace of its own, where only loopback exists: a connection to
any other address fails at once and no packet leaves the machine."""

from __future__ import annotations

import ctypes
import os
import subprocess
import threading
from collections.abc import Callable
from typing import TypeVar

import pytest

T = TypeVar("T")
CLONE_NEWNET = 0x40000000


def in_private_network(work: Callable[[], T]) -> T:
    """`work()` in a new thread that has moved into a fresh network namespace (sockets it
    opens, and processes it starts, live there); skip the test without CAP_SYS_ADMIN."""
    outcome: dict[str, T] = {}
    error: list[BaseException] = []

    def body() -> None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.unshare(CLONE_NEWNET) != 0:
                raise PermissionError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
            subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
            outcome["value"] = work()
        except BaseException as exc:
            error.append(exc)

    thread = threading.Thread(target=body, name="private-network")
    thread.start()
    thread.join()
    if error and isinstance(error[0], PermissionError):
        pytest.skip(f"a private network namespace needs CAP_SYS_ADMIN: {error[0]}")
    if error:
        raise error[0]
    return outcome["value"]
