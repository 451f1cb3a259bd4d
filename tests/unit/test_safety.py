"""What user files may be: media in allow-listed containers, never playlists or lists of
other files."""

from __future__ import annotations

from pathlib import Path

import pytest

from mpr.core.errors import UnsafeInputError, UnsupportedMediaError
from mpr.core.safety import ALLOWED_DEMUXERS, FORMAT_WHITELIST, check_demuxer, check_header


@pytest.mark.parametrize(
    "head",
    [
        b"#EXTM3U\n#EXT-X-VERSION:3\n#EXTINF:10,\nhttp://169.254.169.254/latest/meta-data\n",
        b"\xef\xbb\xbf#extm3u\r\n",  # BOM and lower case
        b"  \n\t#EXTM3U\n",  # leading white space
        b"ffconcat version 1.0\nfile '/etc/passwd'\n",
        b"file '/etc/passwd'\n",
        b'file "/etc/passwd"\n',
        b'<?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011">',
        b"<MPD>",
        b"<smil><body/></smil>",
        b"[playlist]\nFile1=http://example.com/a.mp4\n",
        b"concat:a.mp4|b.mp4",
        b"file:/etc/passwd",
        b"https://example.com/video.mp4",
        b"HTTP://EXAMPLE.COM/video.mp4",
    ],
    ids=[
        "hls",
        "hls-bom-lowercase",
        "hls-indented",
        "ffconcat",
        "concat-file-line",
        "concat-file-line-double-quotes",
        "dash-xml",
        "dash",
        "smil",
        "pls",
        "concat-protocol",
        "file-url",
        "https-url",
        "http-url-upper-case",
    ],
)
def test_playlists_and_reference_files_are_unsafe(head: bytes) -> None:
    with pytest.raises(UnsafeInputError):
        check_header(head)


def test_empty_file_is_unsupported() -> None:
    with pytest.raises(UnsupportedMediaError) as caught:
        check_header(b"")
    assert not isinstance(caught.value, UnsafeInputError)


def test_real_mp4_header_is_accepted(bunny_clip: Path) -> None:
    # Given the first bytes of a real MP4 (an ftyp box), Then it passes
    with bunny_clip.open("rb") as f:
        head = f.read(4096)
    assert head[4:8] == b"ftyp"
    check_header(head)


@pytest.mark.parametrize(
    "head",
    [
        b"\x1aE\xdf\xa3\x9fB\x86\x81\x01",  # Matroska / WebM (EBML)
        b"G@\x11\x10\x00",  # MPEG-TS sync byte
        b"RIFF\x00\x00\x00\x00AVI LIST",
        b"\x00\x00\x00\x01\x67\x64\x00\x1f",  # raw H.264 Annex B
    ],
    ids=["matroska", "mpegts", "avi", "h264"],
)
def test_media_headers_are_accepted(head: bytes) -> None:
    check_header(head)


@pytest.mark.parametrize(
    "name", ["mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm", "mpegts", "avi", "flv", "mxf"]
)
def test_allowed_containers(name: str) -> None:
    check_demuxer(name)


@pytest.mark.parametrize(
    "name", ["hls", "concat", "dash", "image2", "lavfi", "mp4", "tty", "", "applehttp"]
)
def test_other_demuxers_are_refused(name: str) -> None:
    with pytest.raises(UnsupportedMediaError, match="unsupported container format"):
        check_demuxer(name)


def test_format_whitelist_holds_each_allowed_demuxer_name() -> None:
    # Given ffmpeg's -format_whitelist (one name per comma-separated part)
    names = FORMAT_WHITELIST.split(",")
    # Then every part of every allowed demuxer is listed, and no playlist demuxer
    assert {part for demuxer in ALLOWED_DEMUXERS for part in demuxer.split(",")} == set(names)
    assert {"hls", "concat", "dash", "image2", "lavfi", "tty"}.isdisjoint(names)
    assert names == sorted(names)
