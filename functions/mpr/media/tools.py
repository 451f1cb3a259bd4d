"""Locating and running ffmpeg/ffprobe with errors that say what went wrong."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mpr.core.errors import MediaProcessingError

if TYPE_CHECKING:
    from mpr.settings import Settings


@dataclass(frozen=True)
class Tools:
    """Paths of the ffmpeg and ffprobe binaries and how long one run may take."""

    ffmpeg: str
    ffprobe: str
    timeout_seconds: float = 3600.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Tools:
        return cls(ffmpeg=settings.ffmpeg, ffprobe=settings.ffprobe)

    def run(self, args: list[str], what: str) -> str:
        """Run a command; return its stderr; raise MediaProcessingError naming `what`."""
        return self._execute(args, what).stderr

    def probe_json(self, args: list[str], what: str) -> dict[str, Any]:
        """Run ffprobe with JSON output and parse it."""
        done = self._execute([self.ffprobe, "-v", "error", "-of", "json", *args], what)
        result: dict[str, Any] = json.loads(done.stdout or "{}")
        return result

    def _execute(self, args: list[str], what: str) -> subprocess.CompletedProcess[str]:
        try:
            done = subprocess.run(
                args,
                capture_output=True,
                text=True,
                timeout=self.timeout_seconds,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise MediaProcessingError(f"{what} timed out after {exc.timeout:.0f} s") from exc
        if done.returncode != 0:
            raise MediaProcessingError(f"{what} failed: {_tail(done.stderr)}")
        return done


_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)
_PATH = re.compile(r"(?<![\w.])/(?:[^\s/:'\"]+/)+([^\s/:'\"]+)")


def _tail(stderr: str, lines: int = 3) -> str:
    """The last lines of ffmpeg's stderr, with URLs (presigned: secrets) and folders removed."""
    text = " | ".join(line.strip() for line in stderr.strip().splitlines()[-lines:])
    text = _PATH.sub(r"\1", _URL.sub("<url>", text))
    return text or "no error output"
