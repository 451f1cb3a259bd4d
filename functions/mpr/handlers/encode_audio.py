"""Lambda: encode every audio track of the selected range once, beside the video chunks."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from mpr import stages
from mpr.core.payloads import EncodeAudioRequest
from mpr.handlers.runtime import InputWorkEnv, adapters, logger, timed, tracer

Env = InputWorkEnv


@logger.inject_lambda_context(correlation_id_path="job_id")
@tracer.capture_lambda_handler
@event_parser(model=EncodeAudioRequest)
def handler(event: EncodeAudioRequest, context: LambdaContext) -> dict[str, Any]:
    run = adapters(Env)
    with timed(run.jobs, event.job_id, "encode_audio"):
        result = stages.encode_audio(run.ctx, event)
    return result.model_dump(mode="json")
