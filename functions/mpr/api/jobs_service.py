"""Jobs as the API sees them: creating, cancelling and retrying jobs, and their views."""

from __future__ import annotations

import hashlib
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import PurePosixPath

from mpr.adapters import job_outputs
from mpr.adapters.webhook_notifier import check_webhook_url
from mpr.api import uploads_service
from mpr.api.owners import Caller
from mpr.api.schemas import (
    CaptionCreate,
    JobCreate,
    JobOptions,
    JobView,
    KeySource,
    UploadPurpose,
    UploadSource,
    UploadStatus,
)
from mpr.caption_outputs import check_attached
from mpr.core.audio import check_audio_presets, select_tracks
from mpr.core.errors import InvalidInputError, JobStateError, NotFoundError
from mpr.core.manifest_view import manifest_view
from mpr.core.models import CaptionSpec, JobRecord, JobStatus, MediaInfo, Preset
from mpr.core.presets import builtin_presets, custom_preset, resolve_presets
from mpr.core.validation import check_trim
from mpr.services import Services

CUSTOM_PRESET = "custom"
WAITING_STAGE = "waiting for upload"
_RELEASE = threading.Lock()  # one releaser at a time starts a waiting job


def _preset_key(name: str) -> str:
    return f"presets/{name}.json"


def custom_presets(services: Services) -> dict[str, Preset]:
    """Presets registered through the API, by name."""
    found = (
        Preset.model_validate_json(services.state.get_bytes(key))
        for key in services.state.list("presets/")
        if key.endswith(".json")
    )
    return {p.name: p for p in found}


def all_presets(services: Services) -> dict[str, Preset]:
    return builtin_presets() | custom_presets(services)


def save_preset(services: Services, preset: Preset) -> Preset:
    if preset.name in builtin_presets() or preset.name == CUSTOM_PRESET:
        raise InvalidInputError(f"preset name '{preset.name}' is reserved by a built-in preset")
    services.state.put_bytes(
        _preset_key(preset.name), preset.model_dump_json().encode(), "application/json"
    )
    return preset


def presets_for(services: Services, options: JobOptions) -> list[Preset]:
    """The presets a job asks for; UnknownPresetError names an unknown one."""
    chosen = resolve_presets(options.presets, custom_presets(services)) if options.presets else []
    if options.renditions:
        kind = "mp4" if len(options.renditions) == 1 else "hls"
        chosen.append(custom_preset(CUSTOM_PRESET, options.renditions, kind=kind))
    if not chosen:
        raise InvalidInputError("a job needs at least one preset name or custom rendition")
    return chosen


@dataclass(frozen=True)
class _Source:
    key: str
    media: MediaInfo | None = None
    upload: uploads_service.UploadRecord | None = None


def _source(services: Services, source: UploadSource | KeySource, caller: Caller) -> _Source:
    """Where a job reads its source. An upload must be the caller's, and so must a storage
    key under `uploads/` (which can only be an upload's source)."""
    if isinstance(source, KeySource):
        as_upload = _upload_named(source)
        if as_upload is None:
            if not services.inputs.exists(source.key):
                raise InvalidInputError(f"no object '{source.key}' in the input storage")
            return _Source(source.key)
        source = as_upload
    upload = uploads_service.refresh(
        services, uploads_service.owned(services, source.upload_id, caller)
    )
    if upload.purpose is UploadPurpose.CAPTIONS:
        raise InvalidInputError(
            f"upload {upload.upload_id} is a caption file; attach it with `captions`, "
            "it cannot be a job's source"
        )
    if upload.status in (UploadStatus.INVALID, UploadStatus.FAILED):
        raise InvalidInputError(f"upload {upload.upload_id} is not usable: {upload.error}")
    if upload.status is UploadStatus.PENDING:
        raise InvalidInputError(
            f"upload {upload.upload_id} has not been received yet; send the file first"
        )
    return _Source(upload.key, upload.media, upload)


def _upload_named(source: KeySource) -> UploadSource | None:
    """The upload whose file a key under `uploads/` is; None for a key outside it."""
    parts = PurePosixPath(source.key).parts
    if parts[:1] != ("uploads",):
        return None
    if len(parts) != 3 or source.key != uploads_service.source_key(parts[1]):
        raise InvalidInputError(f"no object '{source.key}' in the input storage")
    return UploadSource(upload_id=parts[1])


def _caption(services: Services, caption: CaptionCreate, caller: Caller) -> CaptionSpec:
    """A caption file of the job: a key outside `uploads/`, or an upload of the caller's
    that has arrived: a caption upload its check did not refuse, or a source upload
    (whatever the media probe made of it: the job reads it as captions)."""
    source = caption.source
    if isinstance(source, KeySource):
        source = _upload_named(source) or source
    if isinstance(source, KeySource):
        key = source.key
    else:
        received = uploads_service.refresh(
            services, uploads_service.owned(services, source.upload_id, caller)
        )
        if received.status in (UploadStatus.PENDING, UploadStatus.FAILED):
            raise InvalidInputError(
                f"upload {received.upload_id} has not been received; send the caption file first"
            )
        if received.purpose is UploadPurpose.CAPTIONS and received.status is UploadStatus.INVALID:
            raise InvalidInputError(f"upload {received.upload_id} is not usable: {received.error}")
        key = received.key
    return CaptionSpec(source=key, **caption.model_dump(exclude={"source"}))


def request_hash(body: JobCreate) -> str:
    """A fingerprint of a job request, to tell a retried request from a different one."""
    return hashlib.sha256(body.model_dump_json().encode()).hexdigest()


def create_job(
    services: Services, body: JobCreate, caller: Caller, idempotency_key: str | None = None
) -> tuple[JobRecord, bool]:
    """Validate, store and launch a job; with a used idempotency key, return that job
    (InvalidInputError if that key came with a different request). A job on an upload that
    is still being probed waits for it (stage `waiting for upload`)."""
    presets = presets_for(services, body)
    source = _source(services, body.source, caller)
    if source.media is not None:
        check_trim(body.trim, source.media)
        check_audio_presets(presets, select_tracks(source.media, body.audio_languages))
    if body.callback_url:
        check_webhook_url(body.callback_url, allow_private=services.settings.allow_private_webhooks)
    spec = services.settings.job_spec(
        source.key, presets, trim=body.trim, audio_languages=body.audio_languages
    ).model_copy(update={"captions": [_caption(services, c, caller) for c in body.captions]})
    check_attached(services.inputs, spec)
    waits = source.upload is not None and source.upload.status is UploadStatus.UPLOADED
    record = JobRecord(
        job_id=uuid.uuid4().hex,
        stage=WAITING_STAGE if waits else "queued",
        spec=spec,
        callback_url=body.callback_url,
        metadata=body.metadata,
        idempotency_key=f"{caller.owner}:{idempotency_key}" if idempotency_key else None,
        owner=caller.owner,
        request_hash=request_hash(body),
    )
    stored = services.jobs.create(record)
    if stored.job_id != record.job_id:
        if stored.request_hash not in (None, record.request_hash):
            raise InvalidInputError(
                f"Idempotency-Key {idempotency_key!r} was used for job {stored.job_id} "
                "with a different request; use a new key for a new request"
            )
        return stored, False
    if source.upload is not None and waits:
        uploads_service.add_waiting(services, source.upload.upload_id, stored.job_id)
        # the probe may have ended before the note above was written: release it here then
        now = uploads_service.refresh(
            services, uploads_service.load(services, source.upload.upload_id)
        )
        if now.status in uploads_service.FINAL:
            release_waiting(services, now)
        return services.jobs.get(stored.job_id), True
    services.launcher.start(stored)
    return stored, True


def release_waiting(services: Services, upload: uploads_service.UploadRecord) -> None:
    """Start the jobs waiting for a READY upload; fail them with its reason otherwise."""
    for job_id in uploads_service.waiting_jobs(services, upload.upload_id):
        with _RELEASE:
            try:
                job = services.jobs.get(job_id)
            except NotFoundError:
                job = None
            if job is not None and job.status is JobStatus.QUEUED and job.stage == WAITING_STAGE:
                if upload.status is UploadStatus.READY:
                    services.jobs.set_stage(job_id, "queued")
                    services.launcher.start(services.jobs.get(job_id))
                else:
                    failed = services.jobs.transition(
                        job_id,
                        JobStatus.FAILED,
                        stage="failed",
                        error=f"upload {upload.upload_id} is not usable: {upload.error}",
                        error_cause="UploadNotUsable",
                    )
                    services.background(partial(services.notifier.job_ended, failed))
            uploads_service.forget_waiting(services, upload.upload_id, job_id)


def owned_job(services: Services, job_id: str, caller: Caller) -> JobRecord:
    """The job if `caller` may see it; a foreign job is as unknown as a missing one."""
    job = services.jobs.get(job_id)
    if not caller.sees(job.owner):
        raise NotFoundError(f"job {job_id} not found")
    return _settled(services, job)


def cancel_job(services: Services, job_id: str, caller: Caller) -> JobRecord:
    job = owned_job(services, job_id, caller)
    if job.status not in (JobStatus.QUEUED, JobStatus.RUNNING):
        raise JobStateError(
            f"job {job_id} is {job.status.value}; only a queued or running job can be cancelled"
        )
    job = services.jobs.transition(job_id, JobStatus.CANCELLED, stage="cancelled")
    services.launcher.cancel(job_id)
    return job


def retry_job(services: Services, job_id: str, caller: Caller) -> JobRecord:
    job = owned_job(services, job_id, caller)
    if job.status is not JobStatus.FAILED:
        raise JobStateError(f"job {job_id} is {job.status.value}; only a FAILED job can be retried")
    job = services.jobs.transition(job_id, JobStatus.QUEUED, stage="queued")
    services.launcher.start(job)
    return job


def start_job_from_upload(services: Services, upload_id: str) -> None:
    """Process an uploaded source, release the jobs waiting for it, and start the job its
    upload asked for, if any."""
    upload = uploads_service.process(services, upload_id)
    release_waiting(services, upload)
    if upload.start_job is None or upload.job_id is not None:
        return
    if upload.status is not UploadStatus.READY:
        return
    body = JobCreate(
        source=UploadSource(upload_id=upload_id), **upload.start_job.model_dump(exclude_unset=True)
    )
    try:
        job, _ = create_job(
            services, body, Caller(upload.owner), idempotency_key=f"upload-{upload_id}"
        )
    except InvalidInputError as exc:
        uploads_service.change_if(
            services, upload_id, _without_job, status=UploadStatus.INVALID, error=str(exc)
        )
        return
    uploads_service.change_if(services, upload_id, _without_job, job_id=job.job_id)


def _without_job(upload: uploads_service.UploadRecord) -> bool:
    return upload.status is UploadStatus.READY and upload.job_id is None


def output_prefix(services: Services, job_id: str) -> str:
    return services.output_prefix.format(job_id=job_id)


def _upload_of(services: Services, job: JobRecord) -> uploads_service.UploadRecord | None:
    """The upload a job reads its source from, if it reads one."""
    parts = job.spec.source.split("/")
    if (
        len(parts) == 3
        and parts[0] == "uploads"
        and job.spec.source == uploads_service.source_key(parts[1])
    ):
        try:
            return uploads_service.load(services, parts[1])
        except NotFoundError:
            return None
    return None


def _upload_media(services: Services, job: JobRecord) -> MediaInfo | None:
    upload = _upload_of(services, job)
    return upload.media if upload is not None else None


def _settled(services: Services, job: JobRecord) -> JobRecord:
    """A job waiting for its upload, as it stands now: if the upload has reached a final
    state (or passed its deadline, see `uploads_service.overdue`), the job is released."""
    if job.status is not JobStatus.QUEUED or job.stage != WAITING_STAGE:
        return job
    upload = _upload_of(services, job)
    if upload is None:
        return job
    upload = uploads_service.refresh(services, upload)
    if upload.status not in uploads_service.FINAL:
        return job
    release_waiting(services, upload)
    return services.jobs.get(job.job_id)


def job_view(
    services: Services, job: JobRecord, files_url: str, urls_expire_at: datetime
) -> JobView:
    """The API's view of a job; output URLs start with `files_url` (a signed folder URL
    that works until `urls_expire_at`)."""
    manifest = job_outputs.load_manifest(services.outputs, job)
    outputs = manifest_view(
        manifest, files_url, output_prefix(services, job.job_id), urls_expire_at
    )
    return JobView(
        **outputs.model_dump(),
        id=job.job_id,
        status=job.status,
        stage=job.stage,
        progress=job.progress,
        chunks_total=job.chunks_total,
        chunks_done=job.chunks_done,
        error=job.error,
        created_at=job.created_at,
        updated_at=job.updated_at,
        presets=[p.name for p in job.spec.presets],
        trim=job.spec.trim,
        metadata=job.metadata,
        callback_url=job.callback_url,
        media=manifest.media if manifest else _upload_media(services, job),
        timings=job.timings,
        webhook_deliveries=services.deliveries.list(job.job_id),
    )
