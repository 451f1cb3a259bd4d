"""Serving stored files: local files with Range support, S3 objects by presigned redirect."""

from __future__ import annotations

import mimetypes
from pathlib import PurePosixPath

from fastapi.responses import FileResponse, RedirectResponse, Response

from mpr.core.errors import NotFoundError
from mpr.ports import Storage

_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".mpd": "application/dash+xml",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".m4a": "audio/mp4",
    ".vtt": "text/vtt; charset=utf-8",
    ".jpg": "image/jpeg",
    ".json": "application/json",
}
_TEXT_WITH_RELATIVE_URLS = (".m3u8", ".mpd", ".vtt")


def media_type(key: str) -> str:
    suffix = PurePosixPath(key).suffix.lower()
    return _TYPES.get(suffix) or mimetypes.guess_type(key)[0] or "application/octet-stream"


def serve(
    storage: Storage, key: str, content_type: str | None = None, link: Storage | None = None
) -> Response:
    """A response with the object's bytes; 404 if absent.

    Playlists, DASH manifests and WebVTT are answered directly so that their relative URLs
    resolve against the API; other objects in remote storage are a redirect to a presigned
    GET (made by `link`, the same storage as clients reach it, when given).
    """
    if not storage.exists(key):
        raise NotFoundError(f"no file '{PurePosixPath(key).name}'")
    kind = content_type or media_type(key)
    where = (link or storage).read_url(key)
    if where.startswith(("http://", "https://")):
        if key.endswith(_TEXT_WITH_RELATIVE_URLS):
            return Response(storage.get_bytes(key), media_type=kind)
        return RedirectResponse(where, status_code=307)
    return FileResponse(where, media_type=kind, headers={"Cache-Control": "private, max-age=60"})
