"""Request and response bodies of the HTTP API (the contract the web UI is written against)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mpr.adapters.webhook_notifier import WebhookDelivery
from mpr.core.manifest_view import ManifestView
from mpr.core.models import JobStatus, Language, MediaInfo, Trim, VideoRendition


class Body(BaseModel):
    """Base of request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class UploadSource(Body):
    upload_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


class KeySource(Body):
    key: str = Field(min_length=1, max_length=1024, description="key in the input storage")


class CaptionCreate(Body):
    """A caption file (SRT or WebVTT) to carry with the job's outputs."""

    source: UploadSource | KeySource
    language: Language = Field(description="BCP 47 language tag, e.g. en or pt-BR")
    label: str | None = Field(None, max_length=100, description="name shown in players")
    default: bool = False
    forced: bool = False


class JobOptions(Body):
    """Everything about a job except its source."""

    presets: list[str] = Field(
        default_factory=list, max_length=20, description="names of built-in or custom presets"
    )
    renditions: list[VideoRendition] | None = Field(
        None, max_length=10, description="custom renditions, made into an ad-hoc HLS preset"
    )
    trim: Trim | None = None
    callback_url: str | None = Field(
        None, max_length=2048, description="receives a signed `job.ended` webhook"
    )
    metadata: dict[str, str] = Field(default_factory=dict, max_length=50)
    captions: list[CaptionCreate] = Field(
        default_factory=list, max_length=20, description="caption files carried as WebVTT"
    )
    audio_languages: list[Language] | None = Field(
        None,
        max_length=20,
        description="BCP 47 tags of the source's audio tracks to carry; all tracks if omitted",
    )


class JobCreate(JobOptions):
    source: UploadSource | KeySource


class UploadPurpose(StrEnum):
    """What an upload holds: a source to probe, or a caption file (SRT or WebVTT) to check
    and attach to jobs (`captions[].source.upload_id`)."""

    SOURCE = "source"
    CAPTIONS = "captions"


class UploadCreate(Body):
    filename: str = Field(min_length=1, max_length=255)
    size: int = Field(ge=1, description="bytes the client will send")
    content_type: str = Field("application/octet-stream", max_length=255)
    purpose: UploadPurpose = UploadPurpose.SOURCE
    start_job: JobOptions | None = Field(
        None, description="create a job from this upload as soon as it is READY (a source)"
    )

    @model_validator(mode="after")
    def _job_from_a_source(self) -> UploadCreate:
        if self.start_job is not None and self.purpose is not UploadPurpose.SOURCE:
            raise ValueError("start_job needs an upload of purpose 'source', not captions")
        return self


class PartUrl(BaseModel):
    part_number: int
    url: str


class MultipartTicket(BaseModel):
    part_size: int
    parts: list[PartUrl]
    complete_url: str = Field(description="POST here once every part is sent")


class UploadTicket(BaseModel):
    upload_id: str
    url: str = Field(description="PUT the whole file here (when multipart is null)")
    method: Literal["PUT"] = "PUT"
    headers: dict[str, str] = Field(description="headers to send with every PUT")
    expires_at: datetime
    multipart: MultipartTicket | None = None


class PartETag(Body):
    part_number: int = Field(ge=1, le=10_000)
    etag: str = Field(min_length=1, max_length=200)


class UploadComplete(Body):
    parts: list[PartETag] = Field(
        default_factory=list, description="S3 multipart only: the ETag of every part"
    )


class UploadStatus(StrEnum):
    PENDING = "PENDING"
    UPLOADED = "UPLOADED"
    READY = "READY"
    INVALID = "INVALID"
    FAILED = "FAILED"  # not received, or not probed, before its deadline


class UploadView(BaseModel):
    upload_id: str
    filename: str
    size: int
    purpose: UploadPurpose = UploadPurpose.SOURCE
    status: UploadStatus
    parts_received: list[int]
    media: MediaInfo | None
    error: str | None
    job_id: str | None = Field(None, description="the job started by `start_job`, if any")
    source_url: str | None
    poster_url: str | None
    sprite_url: str | None
    sprite_vtt_url: str | None


class JobView(ManifestView):
    """A job, with its outputs (`ManifestView`, as its webhook carries them)."""

    id: str
    status: JobStatus
    stage: str
    progress: float = Field(ge=0, le=100)
    chunks_total: int
    chunks_done: int
    error: str | None
    created_at: datetime
    updated_at: datetime
    presets: list[str]
    trim: Trim | None
    metadata: dict[str, str]
    callback_url: str | None
    media: MediaInfo | None
    timings: dict[str, float]
    webhook_deliveries: list[WebhookDelivery]


class JobPage(BaseModel):
    items: list[JobView]
    next_cursor: str | None


class HealthCheck(BaseModel):
    ok: bool
    detail: str


class Health(BaseModel):
    status: Literal["ok", "failing"] = "ok"
    version: str
    checks: dict[str, HealthCheck] = Field(
        default_factory=dict, description="`database` and `storage`: each ok, or what fails"
    )
