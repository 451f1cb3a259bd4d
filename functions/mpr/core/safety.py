"""What user-supplied files may be: allow-listed containers, no playlists or concat lists."""

from __future__ import annotations

from mpr.core.errors import UnsafeInputError, UnsupportedMediaError

# Demuxers (as ffprobe names them) that read media from the one file they are given.
# HLS/DASH playlists, concat scripts, image sequences and devices are excluded: they open
# other files or URLs named inside user data.
ALLOWED_DEMUXERS = frozenset(
    {
        "mov,mp4,m4a,3gp,3g2,mj2",
        "matroska,webm",
        "mpegts",
        "avi",
        "flv",
        "mpeg",
        "ogg",
        "mxf",
        "asf",
        "h264",
        "hevc",
    }
)

# Demuxer names for ffmpeg's `-format_whitelist`, which matches each comma-separated part.
FORMAT_WHITELIST = ",".join(sorted({part for name in ALLOWED_DEMUXERS for part in name.split(",")}))

_REFERENCE_MARKERS = (
    b"#EXTM3U",
    b"ffconcat",
    b"file '",
    b'file "',
    b"<?xml",
    b"<MPD",
    b"<smil",
    b"[playlist]",
    b"concat:",
    b"file:",
    b"http://",
    b"https://",
)


def check_header(head: bytes) -> None:
    """Reject files whose first bytes show a playlist, concat list or reference file."""
    if not head:
        raise UnsupportedMediaError("source is empty (0 bytes)")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    for marker in _REFERENCE_MARKERS:
        if text.startswith(marker.lower()):
            raise UnsafeInputError(
                "source is a playlist or reference file, not media; MPR does not follow "
                "references to other files or URLs"
            )


def check_demuxer(format_name: str) -> None:
    """Reject containers outside the allow-list."""
    if format_name not in ALLOWED_DEMUXERS:
        raise UnsupportedMediaError(f"unsupported container format '{format_name}'")
