"""A finished job's outputs as a receiver sees them: every output of the manifest with the
URLs of its files, so that neither the job view nor the `job.ended` webhook needs a second
call. Both are made by `manifest_view`.

Each output keeps every field of its `OutputRecord` (whatever its kind) and gets `url`,
the URL of its `path`. Files are listed only where a receiver fetches them itself: `images`
holds every picture of a thumbnails or sprite output; `files` the other entry points of an
output (the variant playlists and manifests beside a master playlist). Media segments are
never listed: players reach them through the playlists and manifests.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from pydantic import Field

from mpr.core.models import Manifest, Model, OutputRecord

_PRESENTATIONS = (".m3u8", ".mpd")
_IMAGES = (".jpg", ".jpeg", ".png", ".webp")


class OutputView(OutputRecord):
    """An output of a job with the URLs a receiver downloads or plays it from."""

    path: str = Field(description="relative to the job's output folder")
    url: str = Field(
        description="URL of `path` (for HLS, the master playlist; for CMAF, the DASH manifest, "
        "its HLS master playlist `master.m3u8` in `files`)"
    )
    images: list[str] = Field(
        default_factory=list,
        description="URLs of every image of a thumbnails or sprite output, in time order",
    )
    files: list[str] = Field(
        default_factory=list,
        description="URLs of the output's other entry points beside `url` and `images` (the "
        "playlists and manifests of a streaming output); media segments are reached "
        "through them",
    )


class QCSummary(Model):
    passed: bool = Field(description="every output's QC passed (each output lists its checks)")


class ManifestView(Model):
    outputs: list[OutputView]
    qc: QCSummary | None = Field(description="None while no output has been checked")
    urls_expire_at: datetime | None = Field(
        description="when the signed URLs stop working; read the job again for fresh ones"
    )


def manifest_view(
    manifest: Manifest | None, folder_url: str, prefix: str, urls_expire_at: datetime | None
) -> ManifestView:
    """The outputs of `manifest` (none without one) with URLs under `folder_url`, the URL
    of the job's output folder; `prefix` is that folder's key, which paths lose."""
    outputs = [
        output_view(record, folder_url, prefix) for record in (manifest.outputs if manifest else [])
    ]
    checked = [o.qc for o in outputs if o.qc is not None]
    return ManifestView(
        outputs=outputs,
        qc=QCSummary(passed=all(q.passed for q in checked)) if checked else None,
        urls_expire_at=urls_expire_at if outputs else None,
    )


def output_view(record: OutputRecord, folder_url: str, prefix: str) -> OutputView:
    """One output with the URLs of the files a receiver fetches itself (see the module)."""

    def url(path: str) -> str:
        return folder_url + quote(path.removeprefix(prefix))

    streaming = record.path.lower().endswith(_PRESENTATIONS)
    images = [f for f in record.files if f.lower().endswith(_IMAGES)]
    entries = [
        f
        for f in record.files
        if f != record.path
        and f not in images
        and (not streaming or f.lower().endswith(_PRESENTATIONS))
    ]
    return OutputView.model_validate(
        {
            **record.model_dump(),
            "path": record.path.removeprefix(prefix),
            "url": url(record.path),
            "images": [url(f) for f in images],
            "files": [url(f) for f in entries],
        }
    )
