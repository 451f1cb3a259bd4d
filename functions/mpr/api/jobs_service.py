"""Jobs as the API sees them: creating, cancelling and retrying jobs, and their views."""

from __future__ import annotations

import uuid

from mpr.adapters.webhook_notifier import check_webhook_url
from mpr.api import uploads_service
from mpr.api.schemas import (
    JobCreate,
    JobOptions,
    JobView,
    KeySource,
    OutputView,
    QCSummary,
    UploadSource,
    UploadStatus,
)
from mpr.core.errors import InvalidInputError, JobStateError, NotFoundError
from mpr.core.models import JobRecord, JobStatus, Manifest, MediaInfo, Preset
from mpr.core.presets import builtin_presets, custom_preset, resolve_presets
from mpr.core.validation import check_trim
from mpr.services import Services

CUSTOM_PRESET = "custom"


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


def _source(services: Services, source: UploadSource | KeySource) -> tuple[str, MediaInfo | None]:
    if isinstance(source, KeySource):
        if not services.inputs.exists(source.key):
            raise InvalidInputError(f"no object '{source.key}' in the input storage")
        return source.key, None
    upload = uploads_service.load(services, source.upload_id)
    if upload.status is UploadStatus.INVALID:
        raise InvalidInputError(f"upload {upload.upload_id} is not usable: {upload.error}")
    if upload.status is not UploadStatus.READY:
        raise InvalidInputError(
            f"upload {upload.upload_id} is {upload.status.value}; wait until it is READY"
        )
    return upload.key, upload.media


def create_job(
    services: Services, body: JobCreate, owner: str, idempotency_key: str | None = None
) -> tuple[JobRecord, bool]:
    """Validate, store and launch a job; with a used idempotency key, return that job."""
    presets = presets_for(services, body)
    key, media = _source(services, body.source)
    if media is not None:
        check_trim(body.trim, media)
    if body.callback_url:
        check_webhook_url(body.callback_url, allow_private=services.settings.allow_private_webhooks)
    spec = services.settings.job_spec(key, presets, trim=body.trim)
    record = JobRecord(
        job_id=uuid.uuid4().hex,
        spec=spec,
        callback_url=body.callback_url,
        metadata=body.metadata,
        idempotency_key=f"{owner}:{idempotency_key}" if idempotency_key else None,
        owner=owner,
    )
    stored = services.jobs.create(record)
    created = stored.job_id == record.job_id
    if created:
        services.launcher.start(stored)
    return stored, created


def cancel_job(services: Services, job_id: str) -> JobRecord:
    job = services.jobs.get(job_id)
    if job.status not in (JobStatus.QUEUED, JobStatus.RUNNING):
        raise JobStateError(
            f"job {job_id} is {job.status.value}; only a queued or running job can be cancelled"
        )
    job = services.jobs.transition(job_id, JobStatus.CANCELLED, stage="cancelled")
    services.launcher.cancel(job_id)
    return job


def retry_job(services: Services, job_id: str) -> JobRecord:
    job = services.jobs.get(job_id)
    if job.status is not JobStatus.FAILED:
        raise JobStateError(f"job {job_id} is {job.status.value}; only a FAILED job can be retried")
    job = services.jobs.transition(job_id, JobStatus.QUEUED, stage="queued")
    services.launcher.start(job)
    return job


def start_job_from_upload(services: Services, upload_id: str) -> None:
    """Process an uploaded source and start the job its upload asked for, if any."""
    upload = uploads_service.process(services, upload_id)
    if upload.start_job is None or upload.job_id is not None:
        return
    if upload.status is not UploadStatus.READY:
        return
    body = JobCreate(
        source=UploadSource(upload_id=upload_id), **upload.start_job.model_dump(exclude_unset=True)
    )
    try:
        job, _ = create_job(services, body, upload.owner, idempotency_key=f"upload-{upload_id}")
    except InvalidInputError as exc:
        uploads_service.save(
            services,
            upload.model_copy(update={"status": UploadStatus.INVALID, "error": str(exc)}),
        )
        return
    uploads_service.save(services, upload.model_copy(update={"job_id": job.job_id}))


def load_manifest(services: Services, job: JobRecord) -> Manifest | None:
    if job.status is not JobStatus.SUCCEEDED or not job.manifest_key:
        return None
    try:
        raw = services.outputs.get_bytes(job.manifest_key)
    except NotFoundError:
        return None
    return Manifest.model_validate_json(raw)


def output_prefix(services: Services, job_id: str) -> str:
    return services.output_prefix.format(job_id=job_id)


def _upload_media(services: Services, job: JobRecord) -> MediaInfo | None:
    parts = job.spec.source.split("/")
    if (
        len(parts) == 3
        and parts[0] == "uploads"
        and job.spec.source == uploads_service.source_key(parts[1])
    ):
        try:
            return uploads_service.load(services, parts[1]).media
        except NotFoundError:
            return None
    return None


def job_view(services: Services, job: JobRecord, files_url: str) -> JobView:
    """The API's view of a job; output URLs start with `files_url` (a signed folder URL)."""
    manifest = load_manifest(services, job)
    prefix = output_prefix(services, job.job_id)
    outputs = []
    for out in manifest.outputs if manifest else []:
        path = out.path.removeprefix(prefix)
        outputs.append(
            OutputView(
                preset=out.preset,
                kind=out.kind,
                rendition=out.rendition,
                path=path,
                url=f"{files_url}{path}",
                images=[
                    f"{files_url}{f.removeprefix(prefix)}"
                    for f in out.files
                    if f.lower().endswith((".jpg", ".jpeg"))
                ],
                width=out.width,
                height=out.height,
                duration=out.duration,
                frames=out.frames,
                qc=out.qc,
            )
        )
    checked = [o.qc for o in outputs if o.qc is not None]
    return JobView(
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
        outputs=outputs,
        qc=QCSummary(passed=all(q.passed for q in checked)) if checked else None,
        timings=job.timings,
        webhook_deliveries=services.deliveries.list(job.job_id),
    )
