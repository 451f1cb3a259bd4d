"""Loading the ffprobe output captured in tests/fixtures/probe/ (see capture_probe_fixtures)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PROBE_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "probe"

Json = dict[str, Any]


def load_probe(clip: str) -> tuple[Json, list[Json]]:
    """(`-show_format -show_streams` JSON, the video packets) captured for `clip`."""
    streams: Json = json.loads((PROBE_FIXTURES / f"{clip}.streams.json").read_text())
    packets: Json = json.loads((PROBE_FIXTURES / f"{clip}.packets.json").read_text())
    return streams, packets.get("packets", [])
