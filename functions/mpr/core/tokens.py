"""Short-lived signed URL tokens, so `<img>`, `<video>` and `<track>` tags can load files.

A token grants reading one job's outputs or one upload's files until it expires, on behalf
of the API key that read the job or upload: it names that key, and stops working as soon as
the key is revoked (the routes that serve signed URLs check). It sits in the URL path
(`.../signed/{token}/...`), so relative references inside HLS playlists and WebVTT files
resolve to URLs that carry it too. Form: `<expires>-<key id>-<mac>`, ASCII only.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from datetime import UTC, datetime

_TOKEN = re.compile(r"([0-9]{1,12})-([0-9a-f]{1,32})-([0-9a-f]{32})", re.ASCII)


class UrlSigner:
    def __init__(self, secret: bytes, ttl_seconds: int) -> None:
        self._secret = secret
        self.ttl_seconds = ttl_seconds

    def _mac(self, scope: str, key_id: str, expires: int) -> str:
        message = f"{scope}:{key_id}:{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:32]

    def token(self, scope: str, key_id: str, now: float | None = None) -> str:
        """A token for `scope` (e.g. `job:ID`) issued to key `key_id`, for `ttl_seconds`."""
        expires = int((time.time() if now is None else now) + self.ttl_seconds)
        return f"{expires}-{key_id}-{self._mac(scope, key_id, expires)}"

    @staticmethod
    def expires_at(token: str) -> datetime:
        """When a token made by `token` stops working."""
        return datetime.fromtimestamp(int(token.partition("-")[0]), UTC)

    def holder(self, scope: str, token: str, now: float | None = None) -> str | None:
        """The key id a valid, unexpired token for `scope` was issued to; else None."""
        match = _TOKEN.fullmatch(token)
        if match is None:
            return None
        expires_text, key_id, mac = match.groups()
        expires = int(expires_text)
        if expires < (time.time() if now is None else now):
            return None
        if not hmac.compare_digest(self._mac(scope, key_id, expires), mac):
            return None
        return key_id
