"""Storage in a local directory: the embedded default."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from mpr.core.errors import InvalidInputError, NotFoundError
from mpr.ports import Storage


class LocalStorage:
    """Keys are relative POSIX paths below `root`; nothing escapes it."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def path(self, key: str) -> Path:
        """The file behind `key`; rejects absolute keys and `..` components."""
        parts = PurePosixPath(key).parts
        if not key or key.startswith("/") or any(p in ("..", "") for p in parts):
            raise InvalidInputError(f"invalid storage key '{key}'")
        return self.root.joinpath(*parts)

    def put_file(self, key: str, path: Path, content_type: str | None = None) -> None:
        """A hard link to `path` where both are on one file system (no copy, however large
        the file), else a copy; readers see the whole file or none."""
        target = self._writable(key)
        if path.resolve() != target:
            with _temporary(target) as tmp:
                _link_or_copy(path, tmp)
                os.replace(tmp, target)

    def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> None:
        target = self._writable(key)
        with _temporary(target) as tmp:
            tmp.write_bytes(data)
            os.replace(tmp, target)

    def get_bytes(self, key: str) -> bytes:
        return self._existing(key).read_bytes()

    def head(self, key: str, length: int) -> bytes:
        with self._existing(key).open("rb") as f:
            return f.read(length)

    def download(self, key: str, path: Path) -> None:
        _link_or_copy(self._existing(key), path)

    @contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        yield self._existing(key)

    def read_url(self, key: str) -> str:
        return str(self._existing(key))

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def size(self, key: str) -> int:
        return self._existing(key).stat().st_size

    def list(self, prefix: str) -> Iterator[str]:
        folder = self.root / prefix
        start = folder if not prefix or prefix.endswith("/") else folder.parent
        if not start.is_dir():
            return
        found = (p.relative_to(self.root).as_posix() for p in start.rglob("*") if p.is_file())
        yield from sorted(k for k in found if k.startswith(prefix))

    def delete_prefix(self, prefix: str) -> int:
        keys = list(self.list(prefix))
        for key in keys:
            self.path(key).unlink(missing_ok=True)
        folder = self.root / prefix.rstrip("/")
        if prefix.endswith("/") and folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
        return len(keys)

    def copy_to(
        self, key: str, target: Storage, target_key: str, content_type: str | None = None
    ) -> None:
        """A hard link where `target` is a directory too (see put_file), else an upload."""
        target.put_file(target_key, self._existing(key), content_type)

    def _existing(self, key: str) -> Path:
        path = self.path(key)
        if not path.is_file():
            raise NotFoundError(f"no object '{key}'")
        return path

    def _writable(self, key: str) -> Path:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path


@contextmanager
def _temporary(target: Path) -> Iterator[Path]:
    """A hidden name beside `target`, unique to one write; removed if the write fails."""
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        yield tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _link_or_copy(source: Path, target: Path) -> None:
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:  # another file system, or one without hard links
        shutil.copyfile(source, target)
