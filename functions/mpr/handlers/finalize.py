"""Lambda: write the manifest (with the stage timings of the job), mark the job SUCCEEDED,
send its webhook."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from mpr import stages
from mpr.core.models import JobStatus
from mpr.core.payloads import JobRef
from mpr.handlers.runtime import JobEndEnv, adapters, logger, notify, timed, tracer

Env = JobEndEnv


@logger.inject_lambda_context(correlation_id_path="job_id")
@tracer.capture_lambda_handler
@event_parser(model=JobRef)
def handler(event: JobRef, context: LambdaContext) -> dict[str, Any]:
    run = adapters(Env)
    with timed(run.jobs, event.job_id, "finalize", stage="finalize"):
        timings = run.jobs.get(event.job_id).timings
        result = stages.finalize(run.ctx, event, timings=timings)
    job = run.jobs.transition(
        event.job_id, JobStatus.SUCCEEDED, stage="done", manifest_key=result.manifest_key
    )
    logger.info("job succeeded", extra={"manifest_key": result.manifest_key})
    notify(job)
    return result.model_dump(mode="json")
