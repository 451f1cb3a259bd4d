"""Lambda: cut the source into chunks and write the task list the Distributed Map reads."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from mpr import stages
from mpr.core.payloads import PlanRequest
from mpr.handlers.runtime import WorkEnv, adapters, logger, metrics, timed, tracer

Env = WorkEnv


@logger.inject_lambda_context(correlation_id_path="job_id")
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
@event_parser(model=PlanRequest)
def handler(event: PlanRequest, context: LambdaContext) -> dict[str, Any]:
    run = adapters(Env)
    with timed(run.jobs, event.job_id, "plan", stage="plan"):
        result = stages.plan(run.ctx, event)
    run.jobs.set_stage(event.job_id, "encode", chunks_total=result.task_count)
    metrics.add_metric(name="ChunkCount", unit=MetricUnit.Count, value=result.chunk_count)
    logger.info("planned", extra={"chunks": result.chunk_count, "tasks": result.task_count})
    return result.model_dump(mode="json")
