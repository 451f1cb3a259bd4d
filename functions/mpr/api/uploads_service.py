"""Uploads: a ticket to send a source, resumable parts, then probing and preview images
(or, for a caption file, checking it as SRT or WebVTT).

An upload's record lives in the upload store (`services.uploads`: DynamoDB in the cloud,
PostgreSQL with MPR_DATABASE_URL, else JSON in the API's state storage); its bytes go to
the input storage under `uploads/{id}/source`. Through the API (embedded mode) parts are
stored in the state storage until `complete` joins them; with S3 the client PUTs to
presigned URLs. Every change of a record is a store update that checks the state it
changes from, so racing requests, probes and deadlines on several servers settle on one
outcome.
"""

from __future__ import annotations

import logging
import math
import re
import secrets
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from mpr.api.disk_space import check_room, out_of_space_is_507, scratch_file, spool
from mpr.api.owners import Caller
from mpr.api.schemas import JobOptions, UploadComplete, UploadCreate, UploadPurpose, UploadStatus
from mpr.caption_outputs import caption_file_problem
from mpr.core.errors import InvalidInputError, JobStateError, NotFoundError
from mpr.core.models import MediaInfo, ThumbnailSpec
from mpr.core.safety import check_header
from mpr.core.sprites import frame_buckets
from mpr.core.validation import check_media, check_size
from mpr.services import Services
from mpr.stages import HEADER_BYTES

log = logging.getLogger(__name__)
MAX_PARTS = 10_000
PREVIEW_NAME = re.compile(r"^(poster\.jpg|sprite\.vtt|sprite_\d{3}\.jpg)$")
FIRST_SHEET = "sprite_000.jpg"
_PART = re.compile(r"parts/(\d{5})$")
FINAL = frozenset({UploadStatus.READY, UploadStatus.INVALID, UploadStatus.FAILED})


class UploadRecord(BaseModel):
    """What the API keeps about an upload."""

    model_config = ConfigDict(frozen=True)

    upload_id: str
    owner: str
    filename: str
    size: int
    content_type: str
    purpose: UploadPurpose = UploadPurpose.SOURCE
    status: UploadStatus = UploadStatus.PENDING
    part_size: int | None = Field(None, description="set for multipart uploads")
    s3_upload_id: str | None = None
    media: MediaInfo | None = None
    error: str | None = None
    start_job: JobOptions | None = None
    job_id: str | None = None
    created_at: datetime
    expires_at: datetime = Field(description="PENDING after this: FAILED (never received)")
    uploaded_at: datetime | None = Field(None, description="when the source was complete")

    @property
    def key(self) -> str:
        """Where the source lies in the input storage."""
        return source_key(self.upload_id)

    @property
    def part_count(self) -> int:
        return math.ceil(self.size / self.part_size) if self.part_size else 1


def source_key(upload_id: str) -> str:
    return f"uploads/{upload_id}/source"


def _part_key(upload_id: str, number: int) -> str:
    return f"uploads/{upload_id}/parts/{number:05d}"


def preview_key(upload_id: str, name: str) -> str:
    return f"uploads/{upload_id}/preview/{name}"


def load(services: Services, upload_id: str) -> UploadRecord:
    if not re.fullmatch(r"[a-f0-9]{32}", upload_id):
        raise NotFoundError(f"no upload {upload_id}")
    return services.uploads.get(upload_id)


def change_if(
    services: Services,
    upload_id: str,
    allowed: Callable[[UploadRecord], bool],
    **update: object,
) -> UploadRecord:
    """Apply `update` to the upload if `allowed` holds for it as stored now; the record as
    it stands either way."""

    def change(current: UploadRecord) -> UploadRecord:
        return current.model_copy(update=update) if allowed(current) else current

    return services.uploads.update(upload_id, change)


def owned(services: Services, upload_id: str, caller: Caller) -> UploadRecord:
    """The upload if `caller` may see it; a foreign upload is as unknown as a missing one."""
    record = load(services, upload_id)
    if not caller.sees(record.owner):
        raise NotFoundError(f"no upload {upload_id}")
    return record


def part_size_for(size: int, threshold: int) -> int | None:
    """None for a single PUT; else a part size that keeps within S3's 10,000 parts."""
    if size <= threshold:
        return None
    return max(threshold, math.ceil(size / MAX_PARTS))


def create(services: Services, body: UploadCreate, owner: str) -> UploadRecord:
    """Register an upload (nothing is stored yet but its record)."""
    check_size(body.size, services.settings.limits)
    _check_room(services, body.size)
    now = datetime.now(UTC)
    record = UploadRecord(
        upload_id=secrets.token_hex(16),
        owner=owner,
        filename=body.filename,
        size=body.size,
        content_type=body.content_type,
        purpose=body.purpose,
        part_size=part_size_for(body.size, services.settings.s3_multipart_threshold_bytes),
        start_job=body.start_job,
        created_at=now,
        expires_at=now + timedelta(seconds=services.settings.s3_presign_seconds),
    )
    if services.presigner is not None and record.part_size is not None:
        record = record.model_copy(
            update={"s3_upload_id": services.presigner.create_multipart(record.key)}
        )
    return services.uploads.create(record)


def parts_received(services: Services, record: UploadRecord) -> list[int]:
    """Part numbers stored so far (embedded multipart), or [1] once a single PUT arrived."""
    if record.status is not UploadStatus.PENDING:
        return list(range(1, record.part_count + 1))
    if record.part_size is None or services.presigner is not None:
        return []
    prefix = f"uploads/{record.upload_id}/parts/"
    found = (_PART.search(k) for k in services.state.list(prefix))
    return sorted(int(m.group(1)) for m in found if m)


def _expect_pending(record: UploadRecord) -> None:
    if record.status is not UploadStatus.PENDING:
        raise JobStateError(f"upload {record.upload_id} is already {record.status.value}")


def _check_room(services: Services, needed: int) -> None:
    """507 unless `needed` bytes fit where uploads arrive (the API receives bytes itself)."""
    if services.upload_dir is not None and services.presigner is None:
        check_room(services.upload_dir, needed, services.settings.free_space_reserve_bytes)


@contextmanager
def _incoming(services: Services, needed: int) -> Iterator[Path]:
    """A file in the upload directory (on the data dir's file system, so storing it there is
    a hard link, not a copy) that is removed afterwards, whatever happens."""
    _check_room(services, needed)
    directory = services.upload_dir or Path(tempfile.gettempdir())
    with scratch_file(directory) as path, out_of_space_is_507(needed):
        yield path


async def receive_content(
    services: Services, record: UploadRecord, stream: AsyncIterator[bytes]
) -> UploadRecord:
    """Store the whole source from one PUT."""
    _expect_pending(record)
    if record.part_size is not None:
        raise InvalidInputError(
            f"upload {record.upload_id} is multipart: PUT its parts, then POST complete"
        )
    with _incoming(services, record.size) as path:
        received = await spool(stream, record.size, path)
        if received != record.size:
            raise InvalidInputError(
                f"received {received} bytes; the upload declared {record.size} bytes"
            )
        services.inputs.put_file(record.key, path, record.content_type)
    return _uploaded(services, record)


async def receive_part(
    services: Services, record: UploadRecord, number: int, stream: AsyncIterator[bytes]
) -> int:
    """Store one part of a multipart upload; returns its size."""
    _expect_pending(record)
    if record.part_size is None:
        raise InvalidInputError(f"upload {record.upload_id} is a single PUT, not multipart")
    if not 1 <= number <= record.part_count:
        raise InvalidInputError(f"part number must be 1 to {record.part_count}, not {number}")
    expected = min(record.part_size, record.size - (number - 1) * record.part_size)
    with _incoming(services, expected) as path:
        received = await spool(stream, expected, path)
        if received != expected:
            raise InvalidInputError(f"part {number} has {received} bytes; expected {expected}")
        services.state.put_file(_part_key(record.upload_id, number), path)
    return received


def complete(services: Services, record: UploadRecord, body: UploadComplete) -> UploadRecord:
    """Join the parts (or finish the S3 multipart upload) and mark the upload UPLOADED; a
    `complete` that another one (on any server) beat is refused as such."""
    try:
        return _complete(services, record, body)
    except (InvalidInputError, NotFoundError):
        _expect_pending(load(services, record.upload_id))
        raise


def _complete(services: Services, record: UploadRecord, body: UploadComplete) -> UploadRecord:
    _expect_pending(record)
    if services.presigner is not None:
        if record.s3_upload_id is not None:
            if len(body.parts) != record.part_count:
                raise InvalidInputError(
                    f"complete needs the ETag of all {record.part_count} parts, "
                    f"got {len(body.parts)}"
                )
            services.presigner.complete_multipart(
                record.key, record.s3_upload_id, [(p.part_number, p.etag) for p in body.parts]
            )
        if not services.inputs.exists(record.key):
            raise InvalidInputError(f"upload {record.upload_id} has not been sent yet")
        return _uploaded(services, record)
    if record.part_size is None:
        raise InvalidInputError(f"upload {record.upload_id} is a single PUT: nothing to complete")
    missing = sorted(set(range(1, record.part_count + 1)) - set(parts_received(services, record)))
    if missing:
        raise InvalidInputError(f"parts not received yet: {', '.join(map(str, missing[:20]))}")
    with _incoming(services, record.size) as path:
        with path.open("wb") as out:
            for number in range(1, record.part_count + 1):
                with services.state.local_path(_part_key(record.upload_id, number)) as part:
                    out.write(part.read_bytes())
        services.inputs.put_file(record.key, path, record.content_type)
    uploaded = _uploaded(services, record)
    services.state.delete_prefix(f"uploads/{record.upload_id}/parts/")
    return uploaded


def _uploaded(services: Services, record: UploadRecord) -> UploadRecord:
    """UPLOADED, if it is still PENDING (JobStateError otherwise) and its source is whole."""
    size = services.inputs.size(record.key)
    if size != record.size:
        raise InvalidInputError(f"the stored source has {size} bytes; expected {record.size}")

    update = {"status": UploadStatus.UPLOADED, "uploaded_at": datetime.now(UTC)}

    def arrived(current: UploadRecord) -> UploadRecord:
        _expect_pending(current)
        return current.model_copy(update=update)

    return services.uploads.update(record.upload_id, arrived)


def refresh(services: Services, record: UploadRecord) -> UploadRecord:
    """The record as it stands now: a presigned single PUT that arrived without a `complete`
    call is UPLOADED; a state past its deadline is FAILED (see `overdue`)."""
    if (
        record.status is UploadStatus.PENDING
        and services.presigner is not None
        and record.s3_upload_id is None
        and services.inputs.exists(record.key)
    ):
        try:
            return _uploaded(services, record)
        except JobStateError:  # noticed by another request first
            return load(services, record.upload_id)
    limit = timedelta(seconds=services.settings.upload_processing_seconds)
    deadline = partial(expired, now=datetime.now(UTC), processing=limit)
    if deadline(record) is record:
        return record
    # the rule is applied again to the record as stored: a probe that has just ended wins
    return services.uploads.update(record.upload_id, deadline)


def expired(record: UploadRecord, now: datetime, processing: timedelta) -> UploadRecord:
    """`record` FAILED with the reason if it is past its deadline (see `overdue`), else
    `record` itself."""
    reason = overdue(record, now, processing)
    if reason is None:
        return record
    return record.model_copy(update={"status": UploadStatus.FAILED, "error": reason})


def overdue(record: UploadRecord, now: datetime, limit: timedelta) -> str | None:
    """Why a non-final upload is past its deadline, or None: PENDING until `expires_at`
    (its upload URLs expire then), UPLOADED for `limit` (`upload_processing_seconds`)."""
    if record.status is UploadStatus.PENDING and now > record.expires_at:
        return f"the file was not received before {record.expires_at:%Y-%m-%d %H:%M:%S} UTC"
    uploaded = record.uploaded_at or record.created_at
    if record.status is UploadStatus.UPLOADED and now > uploaded + limit:
        return f"the source was not probed within {limit.total_seconds():g} s of arriving"
    return None


def _waiting_key(upload_id: str, job_id: str) -> str:
    return f"uploads/{upload_id}/waiting/{job_id}"


def add_waiting(services: Services, upload_id: str, job_id: str) -> None:
    """Note that job `job_id` waits for the upload to be probed (one object per job, so
    concurrent writers never overwrite each other)."""
    services.state.put_bytes(_waiting_key(upload_id, job_id), b"", "text/plain")


def waiting_jobs(services: Services, upload_id: str) -> list[str]:
    prefix = f"uploads/{upload_id}/waiting/"
    return [key.removeprefix(prefix) for key in services.state.list(prefix)]


def forget_waiting(services: Services, upload_id: str, job_id: str) -> None:
    services.state.delete_prefix(_waiting_key(upload_id, job_id))


def _still_uploaded(record: UploadRecord) -> bool:
    return record.status is UploadStatus.UPLOADED


def process(services: Services, upload_id: str) -> UploadRecord:
    """Probe an UPLOADED source and make its poster and sprite: READY, or INVALID and why
    (unless its deadline made it FAILED meanwhile)."""
    from mpr.media.probe import probe
    from mpr.media.thumbnails import make_poster, make_sprite

    record = load(services, upload_id)
    if record.status is not UploadStatus.UPLOADED:
        return record
    if record.purpose is UploadPurpose.CAPTIONS:  # text to check, not media to probe
        problem = caption_file_problem(services.inputs, record.key, record.filename)
        status = UploadStatus.INVALID if problem else UploadStatus.READY
        return change_if(services, upload_id, _still_uploaded, status=status, error=problem)
    tools = services.tools
    try:
        with tempfile.TemporaryDirectory(prefix="mpr-preview-") as tmp:
            check_header(services.inputs.head(record.key, HEADER_BYTES))
            source = services.inputs.read_url(record.key)  # a presigned GET in S3: no download
            media, index = probe(tools, source)
            check_media(media, services.settings.limits)
            out = Path(tmp)
            poster = out / "poster.jpg"
            make_poster(tools, source, poster, min(1.0, media.duration / 2), 640)
            spec = ThumbnailSpec()
            sheets, vtt = make_sprite(
                tools,
                source,
                out / "sprite",
                spec,
                index.end,
                width=media.video.display_width,
                height=media.video.display_height,
                buckets=frame_buckets(index.times, 0.0, index.end, spec.sprite_interval_seconds),
            )
            services.state.put_file(preview_key(upload_id, "poster.jpg"), poster, "image/jpeg")
            for sheet in sheets:
                services.state.put_file(preview_key(upload_id, sheet.name), sheet, "image/jpeg")
            services.state.put_file(preview_key(upload_id, "sprite.vtt"), vtt, "text/vtt")
    except InvalidInputError as exc:
        return change_if(
            services, upload_id, _still_uploaded, status=UploadStatus.INVALID, error=str(exc)
        )
    except Exception as exc:
        log.exception("upload %s: processing failed", upload_id)
        error = f"the source could not be processed: {exc}"
        return change_if(
            services, upload_id, _still_uploaded, status=UploadStatus.INVALID, error=error
        )
    return change_if(services, upload_id, _still_uploaded, status=UploadStatus.READY, media=media)
