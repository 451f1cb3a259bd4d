"""Lambda: encode one chunk to every rendition (one item of the Distributed Map).

The chunk is counted once however often it is retried. A job that ended meanwhile
(cancelled, or failed by another chunk) gets nothing written; this invocation may be the
last writer of the job, so it removes the job's work files before it reports the cancel.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from mpr import stages
from mpr.adapters.local_orchestrator import JobCancelledError
from mpr.core import keys
from mpr.core.models import ChunkTask
from mpr.handlers.live_job import LiveJobStorage
from mpr.handlers.runtime import InputWorkEnv, adapters, logger, metrics, tracer

Env = InputWorkEnv


@logger.inject_lambda_context(correlation_id_path="job_id")
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
@event_parser(model=ChunkTask)
def handler(event: ChunkTask, context: LambdaContext) -> dict[str, Any]:
    run = adapters(Env)
    work = LiveJobStorage(run.ctx.work, run.jobs, event.job_id)
    started = time.perf_counter()
    try:
        work.check()
        result = stages.encode_chunk(replace(run.ctx, work=work), event)
        work.check()  # ended while the chunk was written
    except JobCancelledError:
        run.ctx.work.delete_prefix(keys.work_prefix(event.job_id))
        logger.info("job ended; chunk dropped", extra={"chunk": event.chunk.index})
        raise
    seconds = time.perf_counter() - started
    job = run.jobs.count_chunk(event.job_id, event.chunk.index)
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
