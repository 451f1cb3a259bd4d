"""ffmpeg's error output is shortened and scrubbed before it reaches users."""

from __future__ import annotations

from mpr.media.tools import _tail


def test_presigned_urls_and_server_folders_are_removed() -> None:
    # Given ffmpeg's stderr naming a server path and a presigned URL with its signature
    stderr = (
        "[mov @ 0x1] moov atom not found\n"
        "/srv/mpr/input/uploads/u1/clip.mp4: Invalid data found when processing input\n"
        "https://in.s3.amazonaws.com/k?X-Amz-Signature=secret 403 Forbidden\n"
    )
    # When it is turned into an error message
    text = _tail(stderr)
    # Then neither the folders nor the URL (nor its signature) remain
    assert text == (
        "[mov @ 0x1] moov atom not found | clip.mp4: Invalid data found when processing input"
        " | <url> 403 Forbidden"
    )
    assert "secret" not in text
    assert "/srv" not in text


def test_empty_stderr_says_so() -> None:
    assert _tail("") == "no error output"
