"""Short-lived signed URL tokens, so `<img>`, `<video>` and `<track>` tags can load files.

A token grants reading one job's outputs or one upload's files until it expires. It sits in
the URL path (`.../signed/{token}/...`), so relative references inside HLS playlists and
WebVTT files resolve to URLs that carry it too.
"""

from __future__ import annotations

import hashlib
import hmac
import time


class UrlSigner:
    def __init__(self, secret: bytes, ttl_seconds: int) -> None:
        self._secret = secret
        self.ttl_seconds = ttl_seconds

    def _mac(self, scope: str, expires: int) -> str:
        message = f"{scope}:{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:32]

    def token(self, scope: str, now: float | None = None) -> str:
        """A token for `scope` (e.g. `job:ID`), valid for `ttl_seconds`."""
        expires = int((time.time() if now is None else now) + self.ttl_seconds)
        return f"{expires}-{self._mac(scope, expires)}"

    def valid(self, scope: str, token: str, now: float | None = None) -> bool:
        expires_text, _, mac = token.partition("-")
        if not expires_text.isdigit():
            return False
        expires = int(expires_text)
        if expires < (time.time() if now is None else now):
            return False
        return hmac.compare_digest(self._mac(scope, expires), mac)

    def expires_at(self, token: str) -> int:
        return int(token.partition("-")[0])
