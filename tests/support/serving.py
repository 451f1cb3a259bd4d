"""Start-up of a real `mpr serve`: wait for uvicorn's own "listening" line, not a timer."""

from __future__ import annotations

import queue
import subprocess
import threading
import time
from typing import IO

LISTENING = "Uvicorn running on"


def wait_until_listening(
    process: subprocess.Popen[str], timeout: float, sink: IO[str] | None = None
) -> list[str]:
    """The lines `process` printed until uvicorn said it listens (its socket is bound then).

    A thread keeps reading the output afterwards (copied to `sink` when given), so that a
    full pipe never blocks the server. AssertionError with the output if the process exits
    or is not listening within `timeout` seconds."""
    lines: queue.Queue[str | None] = queue.Queue()
    output = process.stdout
    assert output is not None

    def pump() -> None:
        for line in output:
            if sink is not None:
                sink.write(line)
                sink.flush()
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError(
                f"mpr serve was not listening after {timeout} s:\n{''.join(seen[-40:])}"
            ) from None
        if line is None:
            raise AssertionError(f"mpr serve exited with {process.wait()}:\n{''.join(seen[-40:])}")
        seen.append(line)
        if LISTENING in line:
            return seen
