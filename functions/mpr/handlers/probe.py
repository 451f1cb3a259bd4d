"""Lambda: the first stage. The job goes RUNNING, its spec is stored, the source probed."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from mpr import stages
from mpr.core.models import JobStatus
from mpr.core.payloads import ProbeRequest
from mpr.handlers.runtime import InputWorkEnv, adapters, logger, timed, tracer

Env = InputWorkEnv


@logger.inject_lambda_context(correlation_id_path="job_id")
@tracer.capture_lambda_handler
@event_parser(model=ProbeRequest)
def handler(event: ProbeRequest, context: LambdaContext) -> dict[str, Any]:
    run = adapters(Env)
    job = run.jobs.get(event.job_id)
    if job.status is JobStatus.RUNNING:  # a retried invocation
        run.jobs.set_stage(event.job_id, "probe")
    else:
        run.jobs.transition(event.job_id, JobStatus.RUNNING, stage="probe")
    with timed(run.jobs, event.job_id, "probe"):
        stages.submit(run.ctx, event.job_id, job.spec)
        result = stages.probe(run.ctx, event)
    logger.info("probed", extra={"source": event.source, "has_audio": result.has_audio})
    return result.model_dump(mode="json")
