"""The outputs view of a manifest: which files get URLs, and how they are made."""

from __future__ import annotations

from datetime import UTC, datetime

from mpr.core.manifest_view import manifest_view
from mpr.core.models import Manifest, OutputRecord, QCCheck, QCResult

from .factories import make_media

FOLDER = "https://api.example/v1/jobs/j1/signed/TOKEN/"
EXPIRES = datetime(2027, 1, 1, tzinfo=UTC)
PASSED = QCResult(passed=True, checks=[QCCheck(name="frame_count", passed=True)])


def manifest(*outputs: OutputRecord) -> Manifest:
    return Manifest(
        job_id="j1",
        source="in.mp4",
        media=make_media(),
        chunk_count=1,
        outputs=list(outputs),
        timings={},
    )


def test_a_streaming_output_lists_its_playlists_never_its_segments() -> None:
    master = OutputRecord(
        preset="hls",
        kind="hls",
        path="j1/hls/master.m3u8",
        files=[
            "j1/hls/master.m3u8",
            "j1/hls/_audio/index.m3u8",
            "j1/hls/_audio/init.mp4",
            "j1/hls/_audio/seg_00000.m4s",
            "j1/hls/720p/index.m3u8",
            "j1/hls/720p/init.mp4",
            "j1/hls/720p/seg_00000.m4s",
        ],
        qc=PASSED,
    )

    [out] = manifest_view(manifest(master), FOLDER, "j1/", EXPIRES).outputs

    assert out.path == "hls/master.m3u8"
    assert out.url == FOLDER + "hls/master.m3u8"
    assert out.files == [FOLDER + "hls/_audio/index.m3u8", FOLDER + "hls/720p/index.m3u8"]
    assert out.images == []
    assert out.qc == PASSED


def test_pictures_are_images_and_other_files_are_listed_once() -> None:
    thumbs = OutputRecord(
        preset="t",
        kind="thumbnails",
        path="t/thumbs/thumb_00000.jpg",
        files=["t/thumbs/thumb_00000.jpg", "t/thumbs/thumb_00001.jpg"],
    )
    sprite = OutputRecord(
        preset="t",
        kind="sprite",
        path="t/sprite/sprite.vtt",
        files=["t/sprite/sprite.vtt", "t/sprite/sprite_000.jpg"],
    )
    captions = OutputRecord(
        preset="mp4",
        kind="captions",
        path="mp4.pt BR.vtt",
        files=["mp4.pt BR.vtt"],
        language="pt-BR",
        label="Português",
        default=True,
    )

    view = manifest_view(manifest(thumbs, sprite, captions), FOLDER, "", EXPIRES)

    a, b, c = view.outputs
    assert a.images == [FOLDER + "t/thumbs/thumb_00000.jpg", FOLDER + "t/thumbs/thumb_00001.jpg"]
    assert (a.files, b.files, c.files) == ([], [], [])
    assert b.url == FOLDER + "t/sprite/sprite.vtt"
    assert b.images == [FOLDER + "t/sprite/sprite_000.jpg"]
    assert c.url == FOLDER + "mp4.pt%20BR.vtt"  # quoted, so the URL stays one URL
    assert (c.language, c.label, c.default, c.forced) == ("pt-BR", "Português", True, False)
    assert view.qc is None  # no output was checked
    assert view.urls_expire_at == EXPIRES


def test_qc_summary_fails_when_one_output_failed() -> None:
    failed = QCResult(passed=False, checks=[QCCheck(name="duration", passed=False)])
    good = OutputRecord(preset="a", kind="mp4", path="a.mp4", files=["a.mp4"], qc=PASSED)
    bad = OutputRecord(preset="b", kind="mp4", path="b.mp4", files=["b.mp4"], qc=failed)

    view = manifest_view(manifest(good, bad), FOLDER, "", EXPIRES)

    assert view.qc is not None
    assert view.qc.passed is False


def test_no_manifest_no_outputs_and_no_expiry() -> None:
    view = manifest_view(None, FOLDER, "", EXPIRES)

    assert (view.outputs, view.qc, view.urls_expire_at) == ([], None, None)
