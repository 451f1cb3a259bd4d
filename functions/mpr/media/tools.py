"""Locating and running ffmpeg/ffprobe with errors that say what went wrong.

Every child process dies with the thread that started it (Linux `PR_SET_PDEATHSIG`): a
server killed with SIGKILL leaves no ffmpeg behind writing into its work files.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from mpr.core.errors import MediaProcessingError, MprError, RetryableError

if TYPE_CHECKING:
    from mpr.settings import Settings


@dataclass(frozen=True)
class Tools:
    """Paths of the ffmpeg and ffprobe binaries and how long one run may take."""

    ffmpeg: str
    ffprobe: str
    timeout_seconds: float = 3600.0
    # CA certificates that an HTTPS source's server must chain to; None: not checked
    ca_file: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Tools:
        return cls(ffmpeg=settings.ffmpeg, ffprobe=settings.ffprobe, ca_file=_ca_bundle())

    def _verified(self, args: list[str]) -> list[str]:
        """`args` with the server certificate of every HTTPS input checked against
        `ca_file` (ffmpeg's TLS does not check it by default): the options go before the
        URL (and before its `-i`)."""
        if self.ca_file is None:
            return args
        checked: list[str] = []
        for arg in args:
            if arg.startswith("https://"):
                at = len(checked) - 1 if checked and checked[-1] == "-i" else len(checked)
                checked[at:at] = ["-tls_verify", "1", "-ca_file", self.ca_file]
            checked.append(arg)
        return checked

    def run(self, args: list[str], what: str) -> str:
        """Run a command; return its stderr; raise MediaProcessingError naming `what`."""
        return self._execute(args, what).stderr

    def run_fanout(
        self,
        producer: Callable[[Sequence[str]], list[str]],
        consumers: Sequence[list[str]],
        what: str,
    ) -> None:
        """Run `producer(pipes)` writing to one pipe per consumer command, each consumer
        reading its pipe on standard input; raise MediaProcessingError naming `what` if any
        of them fails (a consumer that stops early makes the producer fail too)."""
        with ExitStack() as stack:
            logs: list[IO[str]] = []
            procs: list[subprocess.Popen[str]] = []
            stack.callback(_stop, procs)
            writers: list[int] = []
            try:
                for args in consumers:
                    read, write = os.pipe()
                    writers.append(write)
                    logs.append(stack.enter_context(tempfile.TemporaryFile("w+")))
                    try:
                        procs.append(_spawn(self._verified(args), stdin=read, stderr=logs[-1]))
                    finally:
                        os.close(read)
                logs.insert(0, stack.enter_context(tempfile.TemporaryFile("w+")))
                args = self._verified(producer([f"pipe:{fd}" for fd in writers]))
                procs.insert(0, _spawn(args, stdin=subprocess.DEVNULL, stderr=logs[0], fds=writers))
            finally:
                for fd in writers:
                    os.close(fd)
            deadline = time.monotonic() + self.timeout_seconds
            try:
                codes = [p.wait(timeout=max(0.0, deadline - time.monotonic())) for p in procs]
            except subprocess.TimeoutExpired as exc:
                raise MediaProcessingError(
                    f"{what} timed out after {self.timeout_seconds:.0f} s"
                ) from exc
            roles = [
                f"{Path(args[0]).name} reading the source",
                *(f"{Path(c[0]).name} writing {Path(c[-1]).name}" for c in consumers),
            ]
            failed = []
            for proc, log, code, role in zip(procs, logs, codes, roles, strict=True):
                if code != 0:
                    log.seek(0)
                    program = f"{role} (pid {proc.pid})"
                    failed.append((code > 0, _failure(program, code, log.read(), lines=2)))
            if failed:
                # a process killed by a signal first: the others fail because it stopped
                reasons = [reason for _, reason in sorted(failed, key=lambda f: f[0])]
                raise _error(what, " / ".join(reasons))

    def probe_json(self, args: list[str], what: str) -> dict[str, Any]:
        """Run ffprobe with JSON output and parse it."""
        done = self._execute([self.ffprobe, "-v", "error", "-of", "json", *args], what)
        result: dict[str, Any] = json.loads(done.stdout or "{}")
        return result

    def _execute(self, args: list[str], what: str) -> subprocess.CompletedProcess[str]:
        with subprocess.Popen(
            self._verified(args),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_die_with(os.getpid()),
        ) as proc:
            try:
                stdout, stderr = proc.communicate(timeout=self.timeout_seconds)
            except subprocess.TimeoutExpired as exc:
                proc.kill()
                proc.communicate()
                raise MediaProcessingError(
                    f"{what} timed out after {self.timeout_seconds:.0f} s"
                ) from exc
        if proc.returncode < 0:
            program = f"{Path(args[0]).name} (pid {proc.pid})"
            raise MediaProcessingError(f"{what} failed: {_failure(program, proc.returncode, '')}")
        if proc.returncode != 0:
            raise _error(what, _tail(stderr))
        return subprocess.CompletedProcess(args, proc.returncode, stdout, stderr)


def _ca_bundle() -> str | None:
    """The CA bundle that ships with the package (certifi), where it is installed."""
    try:
        import certifi
    except ImportError:
        return None
    return str(certifi.where())


def _stop(procs: Sequence[subprocess.Popen[str]]) -> None:
    """Kill whatever still runs (after a failure or a timeout) and reap every process."""
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.wait()


def _spawn(
    args: list[str], stdin: int, stderr: IO[str], fds: Sequence[int] = ()
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        args,
        stdin=stdin,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        text=True,
        pass_fds=fds,
        preexec_fn=_die_with(os.getpid()),
    )


_PR_SET_PDEATHSIG = 1
_PRCTL = ctypes.CDLL(None, use_errno=True).prctl if sys.platform == "linux" else None


def _die_with(parent: int) -> Callable[[], None]:
    """For `preexec_fn`: in the child before exec, ask for SIGKILL when the parent goes, and
    go now if `parent` has already gone (it may die between fork and the request). Only the
    prepared `prctl` and plain system calls run there, as the child of a threaded process."""

    def request() -> None:
        if _PRCTL is not None:
            _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)

    return request


def _failure(program: str, code: int, stderr: str, lines: int = 3) -> str:
    """Why a process failed: the signal that ended it (a negative exit code), else the
    last lines of its error output."""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"{program} was killed by {name}"
    return f"{program}: {_tail(stderr, lines)}"


# ffmpeg's words for a source URL it could not read (its socket errors, an HTTP 5xx): the
# storage or the network failed, not the media, and a later attempt may succeed
_NETWORK = re.compile(
    r"Connection (refused|reset by peer|timed out)|Network is unreachable"
    r"|Server returned 5\d\d|Server returned 5XX|Failed to resolve hostname|I/O error.*http",
    re.IGNORECASE,
)


def _error(what: str, reasons: str) -> MprError:
    """RetryableError when ffmpeg could not read over the network, else MediaProcessingError."""
    message = f"{what} failed: {reasons}"
    return RetryableError(message) if _NETWORK.search(reasons) else MediaProcessingError(message)


_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)
_PATH = re.compile(r"(?<![\w.])/(?:[^\s/:'\"]+/)+([^\s/:'\"]+)")


def _tail(stderr: str, lines: int = 3) -> str:
    """The last lines of ffmpeg's stderr, with URLs (presigned: secrets) and folders removed."""
    text = " | ".join(line.strip() for line in stderr.strip().splitlines()[-lines:])
    text = _PATH.sub(r"\1", _URL.sub("<url>", text))
    return text or "no error output"
