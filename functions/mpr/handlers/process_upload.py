"""Lambda: probe an upload the API handed over (async invoke), then release its jobs.

The API answers `complete` at once and invokes this function with `{"upload_id": ...}`;
probing reads the source through a presigned URL (ranges, no download), so a long source
fits in /tmp and in this function's 15 minutes, not the API's 29 s.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from mpr.api import jobs_service, uploads_service
from mpr.handlers.runtime import Env as BaseEnv
from mpr.handlers.runtime import Name, logger, require, tracer
from mpr.services import Services, build_cloud
from mpr.settings import get_settings


class Env(BaseEnv):
    """Reads the source, writes the API's records, starts the jobs waiting for the upload."""

    input_bucket: Name
    output_bucket: Name
    uploads_table: Name
    state_machine_arn: Name


class UploadEvent(BaseModel):
    upload_id: str = Field(pattern=r"^[a-f0-9]{32}$")


@cache
def _services() -> Services:
    settings = get_settings()
    require(Env, settings)
    return build_cloud(settings)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    upload_id = UploadEvent.model_validate(event).upload_id
    logger.set_correlation_id(upload_id)
    services = _services()
    jobs_service.start_job_from_upload(services, upload_id)
    record = uploads_service.load(services, upload_id)
    logger.info("upload processed", extra={"status": record.status.value})
    return {"upload_id": upload_id, "status": record.status.value}
