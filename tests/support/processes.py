"""Processes in tests, read from Linux's /proc: the children of the test process, ffmpeg in
a process group, and real `mpr` processes, each in its own process group, whose output is
kept (in memory and in a log file) and searchable while they run."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

MPR = Path(sys.executable).parent / "mpr"


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


class MprProcess:
    """`mpr ARGS` running with `env`; its output lines are collected by a thread."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        self._lines: list[str] = []
        self._changed = threading.Condition()
        self.process = subprocess.Popen(
            [str(MPR), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, **env},
            start_new_session=True,  # its own group: a kill reaches its pool and its ffmpeg
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        with self.log.open("w") as out:
            for line in self.process.stdout:
                out.write(line)
                out.flush()
                with self._changed:
                    self._lines.append(line)
                    self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def lines(self) -> list[str]:
        with self._changed:
            return list(self._lines)

    def wait_for(self, pattern: str, timeout: float) -> re.Match[str]:
        """The first output line matching `pattern`, waiting up to `timeout` seconds."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = 0
        with self._changed:
            while True:
                for line in self._lines[seen:]:
                    if found := regex.search(line):
                        return found
                seen = len(self._lines)
                left = deadline - time.monotonic()
                if left <= 0 or (self.process.poll() is not None and not self._reader.is_alive()):
                    tail = "".join(self._lines[-40:])
                    raise AssertionError(f"{self.name} printed no line like {pattern!r}:\n{tail}")
                self._changed.wait(left)

    def kill_group(self) -> None:
        """SIGKILL the process and everything in its group (a machine that dies)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM (a warm shutdown), then SIGKILL for what is left of the group."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=timeout)
        self.kill_group()
        self._reader.join(timeout=5)


def ffmpeg_in_group(group: int) -> list[list[str]]:
    """The command lines of the ffmpeg processes in a process group (a worker's pool
    processes and their children)."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit() and _group_of(proc) == group:
            command = _command(proc)
            if command and "ffmpeg" in Path(command[0]).name:
                found.append(command)
    return found


def wait_for_ffmpeg(group: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not ffmpeg_in_group(group):
        assert time.monotonic() < deadline, "the chunk encode never started ffmpeg"
        time.sleep(0.02)


def assert_no_ffmpeg_left(group: int, timeout: float = 3) -> None:
    deadline = time.monotonic() + timeout
    while running := ffmpeg_in_group(group):
        assert time.monotonic() < deadline, f"ffmpeg still running: {running}"
        time.sleep(0.1)


def _group_of(proc: Path) -> int | None:
    try:
        return int((proc / "stat").read_text().rpartition(")")[2].split()[2])
    except (OSError, IndexError, ValueError):
        return None


def _command(proc: Path) -> list[str]:
    try:
        return (proc / "cmdline").read_bytes().decode(errors="replace").split("\0")[:-1]
    except OSError:
        return []
