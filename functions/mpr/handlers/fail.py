"""Lambda: a stage failed. Remove the job's work files, mark it FAILED with the reason and
send its webhook (a job that ended otherwise, e.g. cancelled, was notified then).

When a chunk failed, AWS tells the parent execution only `States.ExceedToleratedFailureThreshold`;
the chunk's own error (class, message, index), written onto the job by the state machine, is
the reason then.
"""

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
    chunk = run.jobs.chunk_failure(event.job_id)
    if chunk is not None:
        event = FailRequest(job_id=event.job_id, error=chunk.error, cause=chunk.cause)
    result = stages.fail(run.ctx, event)
    error = result.error if chunk is None else f"chunk {chunk.chunk}: {result.error}"
    if run.jobs.get(event.job_id).status in TERMINAL:  # e.g. cancelled meanwhile
        logger.info("job already ended; status kept", extra={"error": error})
    else:
        job = run.jobs.transition(
            event.job_id,
            JobStatus.FAILED,
            stage="failed",
            error=error,
            error_cause=event.error,
        )
        logger.warning("job failed", extra={"error": error})
        notify(job)
    return result.model_copy(update={"error": error}).model_dump(mode="json")
