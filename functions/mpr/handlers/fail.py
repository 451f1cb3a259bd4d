"""Lambda: a stage failed. Remove the job's work files, mark it FAILED with the reason and
send its webhook (a job that ended otherwise, e.g. cancelled, was notified then)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from mpr import stages
from mpr.core.jobs import TERMINAL
from mpr.core.models import JobStatus
from mpr.core.payloads import FailRequest
from mpr.handlers.runtime import JobEndEnv, adapters, logger, notify, tracer

Env = JobEndEnv


@logger.inject_lambda_context(correlation_id_path="job_id")
@tracer.capture_lambda_handler
@event_parser(model=FailRequest)
def handler(event: FailRequest, context: LambdaContext) -> dict[str, Any]:
    run = adapters(Env)
    result = stages.fail(run.ctx, event)
    if run.jobs.get(event.job_id).status in TERMINAL:  # e.g. cancelled meanwhile
        logger.info("job already ended; status kept", extra={"error": result.error})
    else:
        job = run.jobs.transition(
            event.job_id,
            JobStatus.FAILED,
            stage="failed",
            error=result.error,
            error_cause=event.error,
        )
        logger.warning("job failed", extra={"error": result.error})
        notify(job)
    return result.model_dump(mode="json")
