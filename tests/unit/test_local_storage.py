"""LocalStorage: keys stay inside the root; reads of missing keys are NotFoundError."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from mpr.adapters.local_storage import LocalStorage
from mpr.core.errors import InvalidInputError, NotFoundError


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "root")


@pytest.mark.parametrize(
    "key",
    ["", "/etc/passwd", "../outside.txt", "a/../../outside.txt", "a/..", "..", "work/../x"],
)
def test_keys_that_could_escape_the_root_are_refused(storage: LocalStorage, key: str) -> None:
    with pytest.raises(InvalidInputError):
        storage.put_bytes(key, b"x")
    with pytest.raises(InvalidInputError):
        storage.exists(key)
    assert not (storage.root.parent / "outside.txt").exists()


def test_bytes_round_trip(storage: LocalStorage) -> None:
    # Given bytes stored under a nested key
    storage.put_bytes("work/j1/plan.json", b'{"chunks": []}')
    # Then they read back whole, by head and by size, in a file below the root
    assert storage.get_bytes("work/j1/plan.json") == b'{"chunks": []}'
    assert storage.head("work/j1/plan.json", 3) == b'{"c'
    assert storage.size("work/j1/plan.json") == 14
    assert storage.exists("work/j1/plan.json")
    assert storage.path("work/j1/plan.json") == storage.root / "work" / "j1" / "plan.json"
    assert storage.read_url("work/j1/plan.json") == str(storage.root / "work/j1/plan.json")


def test_put_bytes_replaces_and_leaves_no_temporary_file(storage: LocalStorage) -> None:
    storage.put_bytes("a.txt", b"first")
    storage.put_bytes("a.txt", b"second")
    assert storage.get_bytes("a.txt") == b"second"
    assert list(storage.list("")) == ["a.txt"]


def test_files_round_trip(storage: LocalStorage, tmp_path: Path) -> None:
    # Given a local file uploaded and downloaded again
    source = tmp_path / "clip.mp4"
    source.write_bytes(b"\x00\x00\x00\x20ftypisom")
    storage.put_file("input/clip.mp4", source, content_type="video/mp4")
    target = tmp_path / "copy.mp4"
    storage.download("input/clip.mp4", target)
    # Then the content is unchanged, and a local path needs no copy
    assert target.read_bytes() == source.read_bytes()
    with storage.local_path("input/clip.mp4") as path:
        assert path == storage.root / "input" / "clip.mp4"
    # And putting a stored file onto its own key keeps it
    storage.put_file("input/clip.mp4", storage.path("input/clip.mp4"))
    assert storage.get_bytes("input/clip.mp4") == source.read_bytes()


def test_missing_keys_are_not_found(storage: LocalStorage, tmp_path: Path) -> None:
    # Given an empty store, Then every read of a key says NotFoundError
    assert not storage.exists("nope.mp4")
    with pytest.raises(NotFoundError):
        storage.get_bytes("nope.mp4")
    with pytest.raises(NotFoundError):
        storage.head("nope.mp4", 10)
    with pytest.raises(NotFoundError):
        storage.size("nope.mp4")
    with pytest.raises(NotFoundError):
        storage.download("nope.mp4", tmp_path / "x")
    with pytest.raises(NotFoundError):
        storage.read_url("nope.mp4")
    with pytest.raises(NotFoundError), storage.local_path("nope.mp4"):
        pass
    assert not (tmp_path / "x").exists()


def test_a_folder_is_not_an_object(storage: LocalStorage) -> None:
    storage.put_bytes("work/j1/plan.json", b"{}")
    assert not storage.exists("work/j1")
    with pytest.raises(NotFoundError):
        storage.get_bytes("work/j1")


def fill(storage: LocalStorage, *keys: str) -> None:
    for key in keys:
        storage.put_bytes(key, key.encode())


def test_list_gives_keys_under_a_prefix_in_lexical_order(storage: LocalStorage) -> None:
    fill(storage, "work/j1/b.json", "work/j1/chunks/r/00001.mp4", "work/j1/a.json", "work/j2/a")
    assert list(storage.list("work/j1/")) == [
        "work/j1/a.json",
        "work/j1/b.json",
        "work/j1/chunks/r/00001.mp4",
    ]
    assert list(storage.list("")) == [
        "work/j1/a.json",
        "work/j1/b.json",
        "work/j1/chunks/r/00001.mp4",
        "work/j2/a",
    ]
    assert list(storage.list("nothing/")) == []


def test_list_matches_a_partial_name(storage: LocalStorage) -> None:
    # Given outputs whose names share a beginning
    fill(storage, "out/video.mp4", "out/video_360p.mp4", "out/poster.jpg")
    # Then a prefix that is not a folder matches like an S3 prefix
    assert list(storage.list("out/vid")) == ["out/video.mp4", "out/video_360p.mp4"]


def test_list_of_a_folder_name_without_slash_matches_like_s3(storage: LocalStorage) -> None:
    # Given jobs j1 and j10
    fill(storage, "work/j1/a", "work/j10/b")
    # Then the prefix "work/j1" matches both, as it does on S3
    assert list(storage.list("work/j1")) == ["work/j1/a", "work/j10/b"]


def test_delete_prefix_removes_only_that_prefix(storage: LocalStorage) -> None:
    # Given the work files of two jobs whose ids share a beginning
    fill(storage, "work/j1/a", "work/j1/chunks/r/00000.mp4", "work/j10/b")
    # When the first job's work prefix is deleted
    deleted = storage.delete_prefix("work/j1/")
    # Then its files and folder are gone and the other job's are untouched
    assert deleted == 2
    assert list(storage.list("")) == ["work/j10/b"]
    assert not (storage.root / "work" / "j1").exists()
    assert storage.delete_prefix("work/j1/") == 0


def test_put_file_and_download_link_instead_of_copying(
    storage: LocalStorage, tmp_path: Path
) -> None:
    # Given a file stored and downloaded on the store's own file system
    source = tmp_path / "chunk.mp4"
    source.write_bytes(b"frames")
    storage.put_file("work/j1/chunk.mp4", source)
    local = tmp_path / "local.mp4"
    storage.download("work/j1/chunk.mp4", local)
    # Then all three names are one file (no bytes copied), and no temporary name is left
    inode = source.stat().st_ino
    assert storage.path("work/j1/chunk.mp4").stat().st_ino == inode
    assert local.stat().st_ino == inode
    assert list(storage.list("")) == ["work/j1/chunk.mp4"]
    # And the stored file outlives the caller's name
    source.unlink()
    local.unlink()
    assert storage.get_bytes("work/j1/chunk.mp4") == b"frames"


def test_files_are_copied_where_links_cannot_be_made(
    storage: LocalStorage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a store on another file system than the files it is given (no hard links)
    def cross_device(src: object, dst: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", cross_device)
    source = tmp_path / "clip.mp4"
    source.write_bytes(b"video")
    # When a file is stored over an older one and downloaded
    storage.put_bytes("input/clip.mp4", b"old")
    storage.put_file("input/clip.mp4", source)
    local = tmp_path / "local.mp4"
    storage.download("input/clip.mp4", local)
    # Then each is a copy with the new content
    assert storage.get_bytes("input/clip.mp4") == b"video"
    assert storage.path("input/clip.mp4").stat().st_ino != source.stat().st_ino
    assert local.read_bytes() == b"video"
    assert local.stat().st_ino != storage.path("input/clip.mp4").stat().st_ino
    assert list(storage.list("")) == ["input/clip.mp4"]


def test_copy_to_another_directory_store_links_the_file(
    storage: LocalStorage, tmp_path: Path
) -> None:
    # Given an object in one store and another store on the same file system
    storage.put_bytes("work/seg_001.m4s", b"segment")
    outputs = LocalStorage(tmp_path / "outputs")
    # When it is copied into the other store
    storage.copy_to("work/seg_001.m4s", outputs, "job/720p/seg_001.m4s", "video/iso.segment")
    # Then the other store holds the same file, linked, not read and written again
    original, copied = storage.path("work/seg_001.m4s"), outputs.path("job/720p/seg_001.m4s")
    assert copied.read_bytes() == b"segment"
    assert os.stat(original).st_ino == os.stat(copied).st_ino
    # and a missing object is not found, leaving nothing behind
    with pytest.raises(NotFoundError):
        storage.copy_to("work/missing.m4s", outputs, "job/missing.m4s")
    assert not outputs.exists("job/missing.m4s")
