"""Lambda: an upload under the input prefix (S3 `ObjectCreated` notification) starts a job.

Idempotent: the job id derives from bucket, key and version (in a bucket without
versioning, the ETag: an object overwritten with other bytes is a new job), powertools
idempotency keeps a record per object version in the idempotency table, and the job store
refuses a second job for the same object version; a duplicate event starts nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache
from typing import Any, cast
from urllib.parse import unquote_plus

import boto3
from aws_lambda_powertools.utilities.data_classes import S3Event, event_source
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict

from mpr.adapters.dynamo_jobs import DynamoJobStore
from mpr.adapters.sfn_orchestrator import SfnOrchestrator
from mpr.core.models import JobRecord, JobStatus
from mpr.core.presets import resolve_presets
from mpr.handlers.runtime import Env as BaseEnv
from mpr.handlers.runtime import Name, logger, require, tracer
from mpr.settings import get_settings


class Env(BaseEnv):
    input_bucket: Name
    idempotency_table: Name
    state_machine_arn: Name


class Upload(BaseModel):
    """One uploaded object version."""

    model_config = ConfigDict(frozen=True)

    bucket: str
    key: str
    version_id: str | None = None
    etag: str | None = None

    @property
    def revision(self) -> str:
        """What tells this upload from an earlier one of the key: the version, or (without
        versioning) the ETag of its bytes."""
        if self.version_id or not self.etag:
            return self.version_id or ""
        return f"etag:{self.etag}"

    @property
    def job_id(self) -> str:
        """The same object version always names the same job."""
        identity = f"{self.bucket}\n{self.key}\n{self.revision}"
        return hashlib.sha256(identity.encode()).hexdigest()[:32]


@cache
def _starter() -> tuple[IdempotencyConfig, Callable[..., dict[str, Any]]]:
    """The idempotent job starter, built once per container from the settings."""
    settings = get_settings()
    require(Env, settings)
    assert settings.idempotency_table  # checked by require
    assert settings.state_machine_arn
    jobs = DynamoJobStore.from_settings(settings)
    launcher = SfnOrchestrator(
        boto3.client("stepfunctions", region_name=settings.s3_region), settings.state_machine_arn
    )
    presets = resolve_presets(settings.default_presets)  # a wrong name fails at cold start
    config = IdempotencyConfig(event_key_jmespath="[bucket, key, version_id, etag]")
    store = DynamoDBPersistenceLayer(table_name=settings.idempotency_table)

    def start(upload: Upload) -> dict[str, Any]:
        # MPR_WORKERS: the Distributed Map's width in the cloud (set by the stack)
        spec = settings.job_spec(upload.key, presets)
        identity = f"s3://{upload.bucket}/{upload.key}?versionId={upload.revision}"
        job = jobs.create(
            JobRecord(job_id=upload.job_id, spec=spec, idempotency_key=identity, owner="s3")
        )
        if job.status is JobStatus.QUEUED:  # a start is idempotent by execution name
            launcher.start(job)
        logger.info("job started", extra={"source": upload.key})
        return {"job_id": job.job_id, "source": upload.key}

    once = idempotent_function(
        data_keyword_argument="upload", persistence_store=store, config=config
    )
    return config, cast(Callable[..., dict[str, Any]], once(start))


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_source(data_class=S3Event)
def handler(event: S3Event, context: LambdaContext) -> dict[str, Any]:
    config, start = _starter()
    config.register_lambda_context(context)
    prefix = get_settings().input_prefix
    started = []
    for record in event.records:
        s3 = record.s3
        upload = Upload(
            bucket=s3.bucket.name,
            key=unquote_plus(s3.get_object.key),
            version_id=s3.get_object.version_id,
            etag=s3.get_object.etag or None,
        )
        if not upload.key.startswith(prefix) or upload.key.endswith("/"):
            logger.info("ignored", extra={"key": upload.key})
            continue
        logger.set_correlation_id(upload.job_id)
        started.append(start(upload=upload))
    return {"jobs": started}
