"""Where each stage keeps its files: work keys (expire) and output keys (kept)."""

from __future__ import annotations


def work_prefix(job_id: str) -> str:
    return f"work/{job_id}/"


def spec(job_id: str) -> str:
    return f"{work_prefix(job_id)}spec.json"


def media(job_id: str) -> str:
    return f"{work_prefix(job_id)}media.json"


def frames(job_id: str) -> str:
    return f"{work_prefix(job_id)}frames.json"


def plan(job_id: str) -> str:
    return f"{work_prefix(job_id)}plan.json"


def tasks(job_id: str) -> str:
    return f"{work_prefix(job_id)}tasks.json"


def chunk(job_id: str, rendition: str, index: int) -> str:
    return f"{work_prefix(job_id)}chunks/{rendition}/{index:05d}.mp4"


def chunk_result(job_id: str, rendition: str, index: int) -> str:
    """What encoding the chunk measured (frames, PSNR), next to the chunk."""
    return f"{work_prefix(job_id)}chunks/{rendition}/{index:05d}.json"


def audio(job_id: str, encoding: str) -> str:
    """The job's audio in one encoding (`AudioEncoding.id`): an MP4 with every carried track."""
    return f"{work_prefix(job_id)}audio/{encoding}.mp4"


def stitched(job_id: str, rendition: str) -> str:
    return f"{work_prefix(job_id)}stitched/{rendition}.mp4"


def outputs(job_id: str) -> str:
    return f"{work_prefix(job_id)}outputs.json"


def manifest(output_prefix: str) -> str:
    return f"{output_prefix}manifest.json"


def segment(job_id: str, preset: str, rung: str, name: str) -> str:
    """A file of an HLS rung (segment or init) as a chunk task wrote it."""
    return f"{work_prefix(job_id)}hls/{preset}/{rung}/{name}"


def pictures(job_id: str, preset: str, kind: str) -> str:
    """The folder of a thumbnails preset's pictures (`thumbs`) or sprite tiles (`tiles`)."""
    return f"{work_prefix(job_id)}pictures/{preset}/{kind}/"
