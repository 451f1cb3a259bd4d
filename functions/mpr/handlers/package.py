"""Lambda: make every output of the job (MP4, HLS, thumbnails, sprite) with QC."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from mpr import stages
from mpr.core.payloads import JobRef
from mpr.handlers.runtime import OutputWorkEnv, adapters, logger, timed, tracer

Env = OutputWorkEnv  # outputs are made from the work area only: the source is not read again


@logger.inject_lambda_context(correlation_id_path="job_id")
@tracer.capture_lambda_handler
@event_parser(model=JobRef)
def handler(event: JobRef, context: LambdaContext) -> dict[str, Any]:
    run = adapters(Env)
    with timed(run.jobs, event.job_id, "package", stage="package"):
        result = stages.package(run.ctx, event)
    return result.model_dump(mode="json")
