"""The real `mpr transcode` command line, run as a child process as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def mpr_transcode(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`mpr transcode ARGS --quiet`; the finished process, whatever its exit status."""
    return subprocess.run(
        [sys.executable, "-m", "mpr", "transcode", *args, "--quiet"],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )


def transcoded(source: Path, out: Path, *args: str) -> dict[str, object]:
    """`mpr transcode SOURCE --out OUT ARGS`, which must succeed; its manifest."""
    done = mpr_transcode(str(source), "--out", str(out), *args)
    assert done.returncode == 0, done.stderr
    manifest: dict[str, object] = json.loads((out / "manifest.json").read_text())
    return manifest
