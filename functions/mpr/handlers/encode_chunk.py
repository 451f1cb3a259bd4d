"""Lambda: encode one chunk to every rendition (one item of the Distributed Map)."""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from mpr import stages
from mpr.core.models import ChunkTask
from mpr.handlers.runtime import InputWorkEnv, adapters, logger, metrics, tracer

Env = InputWorkEnv


@logger.inject_lambda_context(correlation_id_path="job_id")
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
@event_parser(model=ChunkTask)
def handler(event: ChunkTask, context: LambdaContext) -> dict[str, Any]:
    run = adapters(Env)
    started = time.perf_counter()
    result = stages.encode_chunk(run.ctx, event)
    seconds = time.perf_counter() - started
    job = run.jobs.add_progress(event.job_id, 1)
    metrics.add_metric(name="ChunkEncodeSeconds", unit=MetricUnit.Seconds, value=seconds)
    duration = event.chunk.end - event.chunk.start
    metrics.add_metric(name="RealtimeFactor", unit=MetricUnit.NoUnit, value=duration / seconds)
    logger.info(
        "chunk encoded",
        extra={
            "chunk": event.chunk.index,
            "renditions": [s.id for s in event.renditions],
            "seconds": seconds,
            "done": job.chunks_done,
            "total": job.chunks_total,
        },
    )
    return result.model_dump(mode="json")
