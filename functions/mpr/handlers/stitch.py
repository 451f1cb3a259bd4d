"""Lambda: join one rendition's chunks and mux the audio (one item of the inline Map)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from mpr import stages
from mpr.core.payloads import StitchRequest
from mpr.handlers.runtime import WorkEnv, adapters, logger, timed, tracer

Env = WorkEnv


@logger.inject_lambda_context(correlation_id_path="job_id")
@tracer.capture_lambda_handler
@event_parser(model=StitchRequest)
def handler(event: StitchRequest, context: LambdaContext) -> dict[str, Any]:
    run = adapters(Env)
    with timed(run.jobs, event.job_id, f"stitch/{event.rendition}", stage="stitch"):
        result = stages.stitch(run.ctx, event)
    return result.model_dump(mode="json")
