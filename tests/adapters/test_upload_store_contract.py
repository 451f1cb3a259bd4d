"""One contract for every UploadStore: records in object storage (a directory, S3 on moto),
in PostgreSQL and in DynamoDB (moto), races and the upload deadlines included."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from pydantic import BaseModel, ConfigDict

from mpr.adapters.dynamo_uploads import DynamoUploadStore, create_table
from mpr.adapters.local_storage import LocalStorage
from mpr.adapters.postgres_db import PostgresDatabase
from mpr.adapters.postgres_uploads import PostgresUploadStore
from mpr.adapters.s3_storage import S3Storage
from mpr.adapters.storage_uploads import StorageUploadStore
from mpr.api.schemas import JobOptions, UploadStatus
from mpr.api.uploads_service import UploadRecord, expired
from mpr.core.errors import InvalidInputError, JobStateError, NotFoundError
from mpr.ports import UploadStore
from tests.adapters.conftest import REGION
from tests.unit.factories import make_media

T0 = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
PROCESSING = timedelta(minutes=30)
UPLOAD_ID = "0123456789abcdef0123456789abcdef"
MEDIA = make_media(1280, 720, duration=12.5)
TABLE = "mpr-uploads"


class PartsUpload(BaseModel):
    """Another record model: a store keeps whatever fields a model has."""

    model_config = ConfigDict(frozen=True)

    upload_id: str
    owner: str
    status: UploadStatus = UploadStatus.PENDING
    parts: tuple[int, ...] = ()


def make_upload(**fields: Any) -> UploadRecord:
    values: dict[str, Any] = {
        "upload_id": UPLOAD_ID,
        "owner": "alice",
        "filename": "clip.mp4",
        "size": 1_000_000,
        "content_type": "video/mp4",
        "part_size": 400_000,
        "start_job": JobOptions(presets=["hls-ladder"]),
        "created_at": T0,
        "expires_at": T0 + timedelta(hours=1),
    }
    return UploadRecord(**(values | fields))


StoreOf = Callable[[Any], UploadStore[Any]]


@pytest.fixture
def local_stores(tmp_path: Path) -> StoreOf:
    storage = LocalStorage(tmp_path / "state")
    return lambda model: StorageUploadStore(storage, model.model_validate_json)


@pytest.fixture
def s3_stores(s3_client: Any) -> StoreOf:
    s3_client.create_bucket(Bucket="mpr-out")
    storage = S3Storage(s3_client, "mpr-out", prefix="_mpr/")
    return lambda model: StorageUploadStore(storage, model.model_validate_json)


@pytest.fixture
def postgres_stores(postgres_url: str) -> Iterator[StoreOf]:
    database = PostgresDatabase(postgres_url)
    yield lambda model: PostgresUploadStore(database, model.model_validate_json)
    database.close()


@pytest.fixture
def dynamo_stores(dynamodb_client: Any) -> StoreOf:
    create_table(dynamodb_client, TABLE)
    return lambda model: DynamoUploadStore(dynamodb_client, TABLE, model.model_validate_json)


@pytest.fixture(params=["local", "s3", "postgres", "dynamo"])
def stores(request: pytest.FixtureRequest) -> StoreOf:
    found: StoreOf = request.getfixturevalue(f"{request.param}_stores")
    return found


@pytest.fixture
def store(stores: StoreOf) -> UploadStore[UploadRecord]:
    return stores(UploadRecord)


def mark_uploaded(current: UploadRecord) -> UploadRecord:
    """The change `complete` makes: PENDING -> UPLOADED, refused from any other state."""
    if current.status is not UploadStatus.PENDING:
        raise JobStateError(f"upload {current.upload_id} is already {current.status.value}")
    return current.model_copy(update={"status": UploadStatus.UPLOADED, "uploaded_at": T0})


def add_part(number: int) -> Callable[[PartsUpload], PartsUpload]:
    return lambda current: current.model_copy(update={"parts": (*current.parts, number)})


# --- create and read ---------------------------------------------------------------------


def test_a_created_upload_reads_back_equal(store: UploadStore[UploadRecord]) -> None:
    upload = make_upload(media=MEDIA, error="none yet", uploaded_at=T0)

    assert store.create(upload) == upload
    assert store.get(UPLOAD_ID) == upload


def test_a_missing_upload_is_not_found(store: UploadStore[UploadRecord]) -> None:
    with pytest.raises(NotFoundError):
        store.get(UPLOAD_ID)
    with pytest.raises(NotFoundError):
        store.update(UPLOAD_ID, mark_uploaded)


def test_an_upload_id_is_used_once(store: UploadStore[UploadRecord]) -> None:
    store.create(make_upload())

    with pytest.raises(InvalidInputError):
        store.create(make_upload(filename="other.mp4"))
    assert store.get(UPLOAD_ID).filename == "clip.mp4"


def test_every_field_of_the_model_passes_through(stores: StoreOf) -> None:
    store = stores(PartsUpload)
    store.create(PartsUpload(upload_id=UPLOAD_ID, owner="bob", parts=(3, 1)))

    assert store.get(UPLOAD_ID) == PartsUpload(upload_id=UPLOAD_ID, owner="bob", parts=(3, 1))


# --- updates -----------------------------------------------------------------------------


def test_an_update_stores_the_change(store: UploadStore[UploadRecord]) -> None:
    store.create(make_upload())

    changed = store.update(UPLOAD_ID, mark_uploaded)

    assert (changed.status, changed.uploaded_at) == (UploadStatus.UPLOADED, T0)
    assert store.get(UPLOAD_ID) == changed


def test_a_refused_update_changes_nothing(store: UploadStore[UploadRecord]) -> None:
    store.create(make_upload())
    store.update(UPLOAD_ID, mark_uploaded)

    with pytest.raises(JobStateError, match="already UPLOADED"):
        store.update(UPLOAD_ID, mark_uploaded)
    assert store.get(UPLOAD_ID).status is UploadStatus.UPLOADED


def test_only_one_of_racing_completes_wins(store: UploadStore[UploadRecord]) -> None:
    store.create(make_upload())

    def complete(_: int) -> str:
        try:
            store.update(UPLOAD_ID, mark_uploaded)
        except JobStateError:
            return "refused"
        return "won"

    with ThreadPoolExecutor(8) as pool:
        outcomes = sorted(pool.map(complete, range(8)))

    assert outcomes == ["refused"] * 7 + ["won"]


def test_parts_recorded_at_once_are_all_kept(stores: StoreOf) -> None:
    store = stores(PartsUpload)
    store.create(PartsUpload(upload_id=UPLOAD_ID, owner="alice"))

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: store.update(UPLOAD_ID, add_part(n)), range(1, 41)))

    assert sorted(store.get(UPLOAD_ID).parts) == list(range(1, 41))


# --- deadlines (uploads_service.expired, applied as the service applies it) ---------------


def test_a_pending_upload_fails_once_its_urls_expire(store: UploadStore[UploadRecord]) -> None:
    store.create(make_upload())
    before, after = T0 + timedelta(minutes=59), T0 + timedelta(minutes=61)

    assert store.update(UPLOAD_ID, lambda r: expired(r, before, PROCESSING)).status == "PENDING"
    failed = store.update(UPLOAD_ID, lambda r: expired(r, after, PROCESSING))

    assert failed.status is UploadStatus.FAILED
    assert failed.error == "the file was not received before 2026-01-31 13:00:00 UTC"
    assert store.get(UPLOAD_ID) == failed


def test_an_upload_not_probed_in_time_fails(store: UploadStore[UploadRecord]) -> None:
    store.create(make_upload(status=UploadStatus.UPLOADED, uploaded_at=T0))
    in_time, late = T0 + PROCESSING, T0 + PROCESSING + timedelta(seconds=1)

    assert store.update(UPLOAD_ID, lambda r: expired(r, in_time, PROCESSING)).status == "UPLOADED"
    failed = store.update(UPLOAD_ID, lambda r: expired(r, late, PROCESSING))

    assert (failed.status, failed.error) == (
        UploadStatus.FAILED,
        "the source was not probed within 1800 s of arriving",
    )


def test_a_deadline_seen_on_a_stale_record_keeps_a_probe_that_ended(
    store: UploadStore[UploadRecord],
) -> None:
    # Given a server that read the upload as UPLOADED, long ago
    stale = store.create(make_upload(status=UploadStatus.UPLOADED, uploaded_at=T0))
    late = T0 + PROCESSING + timedelta(hours=1)
    assert expired(stale, late, PROCESSING).status is UploadStatus.FAILED
    # When the probe makes it READY before that server applies the deadline
    store.update(UPLOAD_ID, lambda r: r.model_copy(update={"status": UploadStatus.READY}))
    after = store.update(UPLOAD_ID, lambda r: expired(r, late, PROCESSING))
    # Then the deadline, applied to the record as stored, leaves it READY
    assert (after.status, after.error) == (UploadStatus.READY, None)
    assert store.get(UPLOAD_ID).status is UploadStatus.READY


# --- several processes on one database ---------------------------------------------------


@pytest.fixture
def dynamo_endpoint(dynamodb_client: Any) -> Iterator[str]:
    """moto's DynamoDB (the test's own, writes atomic) served on a loopback port, so that
    other processes reach the same tables."""
    create_table(dynamodb_client, TABLE)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@contextmanager
def parts_store(backend: str, address: str) -> Iterator[UploadStore[PartsUpload]]:
    """A store of this process's own (its own pool or client) on the database at `address`."""
    if backend == "dynamo":
        client = boto3.client(
            "dynamodb",
            endpoint_url=address,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        yield DynamoUploadStore(client, TABLE, PartsUpload.model_validate_json)
        return
    database = PostgresDatabase(address)
    try:
        yield PostgresUploadStore(database, PartsUpload.model_validate_json)
    finally:
        database.close()


def record_parts(backend: str, address: str, numbers: list[int], start: Any) -> None:
    """One process of its own, recording finished parts one by one once every process is
    ready."""
    with parts_store(backend, address) as store:
        start.wait(timeout=60)
        for number in numbers:
            store.update(UPLOAD_ID, add_part(number))


@pytest.mark.parametrize("backend", ["postgres", "dynamo"])
def test_two_processes_recording_parts_lose_none(
    backend: str, request: pytest.FixtureRequest
) -> None:
    address: str = request.getfixturevalue(
        "postgres_url" if backend == "postgres" else "dynamo_endpoint"
    )
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    with parts_store(backend, address) as store:
        store.create(PartsUpload(upload_id=UPLOAD_ID, owner="alice"))

        workers = [
            context.Process(
                target=record_parts, args=(backend, address, list(range(first, 201, 2)), start)
            )
            for first in (1, 2)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)

        assert [worker.exitcode for worker in workers] == [0, 0]
        assert sorted(store.get(UPLOAD_ID).parts) == list(range(1, 201))
