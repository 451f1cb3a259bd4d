"""What every Lambda handler shares: the powertools logger, tracer and metrics, the env-var
models checked at cold start, and the adapters built once per container from the settings."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, cast

from aws_lambda_powertools import Logger, Metrics, Tracer
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from mpr.adapters.dynamo_jobs import DynamoJobStore
from mpr.adapters.s3_storage import S3Storage
from mpr.core.audio_budget import AudioBudget
from mpr.core.encode_budget import EncodeBudget
from mpr.core.errors import InvalidInputError
from mpr.core.ffmpeg_args import x264_threads
from mpr.core.models import JobRecord
from mpr.core.stitch_budget import StitchBudget
from mpr.media.calibration import load_calibration
from mpr.media.tools import Tools
from mpr.ports import JobStore, Notifier, Storage
from mpr.services import cloud_notifier
from mpr.settings import Settings, get_settings, usable_cores
from mpr.stages import StageContext

# the `mpr` logger: the loggers of every module (`mpr.adapters...`) propagate to it, so their
# lines are the same JSON, with the invocation's correlation id
logger = Logger(service="mpr")
tracer = Tracer(service="mpr")
metrics = Metrics(namespace="MPR", service="mpr")

Name = Annotated[str, Field(min_length=1)]


class Env(BaseModel):
    """The settings a handler needs, checked at cold start; each field is `MPR_<FIELD>`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    jobs_table: Name

    @classmethod
    def variables(cls) -> set[str]:
        """The environment variable names this model requires."""
        return {f"MPR_{name.upper()}" for name in cls.model_fields}


class WorkEnv(Env):
    work_bucket: Name


class InputWorkEnv(WorkEnv):
    input_bucket: Name


class OutputWorkEnv(WorkEnv):
    output_bucket: Name


class JobEndEnv(OutputWorkEnv):
    """Ends a job: sends its webhook, recorded under the API's records in the output bucket."""

    webhook_secret: Annotated[SecretStr, Field(min_length=1)]


def require(env: type[Env], settings: Settings) -> None:
    """Raise InvalidInputError naming every variable of `env` that is unset or empty."""
    try:
        env.model_validate(settings.model_dump())
    except ValidationError as exc:
        missing = sorted({f"MPR_{str(e['loc'][0]).upper()}" for e in exc.errors()})
        raise InvalidInputError(f"this function needs {', '.join(missing)}") from exc


class _Unconfigured:
    """Stands in for a bucket the function is not configured with; any use is a clear error."""

    def __init__(self, variable: str) -> None:
        self._variable = variable

    def __getattr__(self, name: str) -> Any:
        raise InvalidInputError(f"{self._variable} is not set for this function")


@dataclass(frozen=True)
class Adapters:
    """The stage context and job store of one function."""

    ctx: StageContext
    jobs: DynamoJobStore


@cache
def adapters(env: type[Env]) -> Adapters:
    """Check `env` against the settings and build the adapters, once per container."""
    settings = get_settings()
    require(env, settings)

    def bucket(name: str | None, variable: str) -> Storage:
        if not name:
            return cast(Storage, _Unconfigured(variable))
        return S3Storage.from_settings(settings, name)

    ctx = StageContext(
        inputs=bucket(settings.input_bucket, "MPR_INPUT_BUCKET"),
        work=bucket(settings.work_bucket, "MPR_WORK_BUCKET"),
        outputs=bucket(settings.output_bucket, "MPR_OUTPUT_BUCKET"),
        tools=Tools.from_settings(settings),
        limits=settings.limits,
        encode_threads=x264_threads(usable_cores()),
        encode_budget=(
            EncodeBudget.for_function(settings.encode_timeout_seconds, settings.encode_memory_mb)
            if settings.encode_timeout_seconds and settings.encode_memory_mb
            else None
        ),
        stitch_budget=(
            StitchBudget(settings.stitch_tmp_mb, settings.stitch_timeout_seconds)
            if settings.stitch_tmp_mb and settings.stitch_timeout_seconds
            else None
        ),
        audio_budget=(
            AudioBudget(
                settings.audio_tmp_mb,
                settings.audio_timeout_seconds,
                load_calibration().audio_cpu_per_second,
            )
            if settings.audio_tmp_mb and settings.audio_timeout_seconds
            else None
        ),
    )
    return Adapters(ctx=ctx, jobs=DynamoJobStore.from_settings(settings))


@cache
def notifier() -> Notifier:
    """The job-ended webhooks of this function, built once per container."""
    return cloud_notifier(get_settings())


def notify(job: JobRecord) -> None:
    """Send the webhook of a job that ended. A webhook that cannot be sent or recorded is
    logged: it never undoes the end of the job."""
    try:
        notifier().job_ended(job)
    except Exception:
        logger.exception("webhook not sent", extra={"job_id": job.job_id})


@contextmanager
def timed(jobs: JobStore, job_id: str, timing: str, stage: str | None = None) -> Iterator[None]:
    """Record the seconds the block took under `timing`, after setting the job's `stage`."""
    if stage is not None:
        jobs.set_stage(job_id, stage)
    started = time.perf_counter()
    yield
    jobs.record_timing(job_id, timing, round(time.perf_counter() - started, 3))
