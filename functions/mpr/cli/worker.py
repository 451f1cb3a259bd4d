"""`mpr worker`: run pipeline tasks from the Redis queue (MPR_QUEUE_URL) on this machine."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from typing import Any

import click

from mpr.settings import Settings, usable_cores


@click.command(name="worker")
@click.option(
    "--concurrency", type=click.IntRange(1, 256), help="tasks at once; default: usable cores"
)
@click.option(
    "--queues",
    metavar="NAME,...",
    help="queues to take tasks from (mpr.control, mpr.encode, mpr.package, mpr.webhooks); "
    "default: all",
)
@click.option(
    "--data-dir", type=click.Path(file_okay=False, path_type=Path), help="files and secrets"
)
@click.option("--storage", metavar="s3://BUCKET[/PREFIX]", help="files in S3, not data-dir")
@click.option("--s3-endpoint", metavar="URL", help="S3 endpoint (MinIO, SeaweedFS, ...)")
def command(
    concurrency: int | None,
    queues: str | None,
    data_dir: Path | None,
    storage: str | None,
    s3_endpoint: str | None,
) -> None:
    """Run the pipeline's tasks: any number of workers, on any machine that reaches the
    queue, the database and the storage (S3, or a directory every machine mounts)."""
    from mpr.adapters.celery_app import QUEUES, app
    from mpr.adapters.celery_pipeline import runtime
    from mpr.core.errors import MprError
    from mpr.services import build_worker, configure_queue, parse_storage_url

    overrides: dict[str, Any] = {"data_dir": data_dir}
    if s3_endpoint:
        overrides |= {"s3_endpoint_url": s3_endpoint, "s3_force_path_style": True}
    settings = Settings(**{k: v for k, v in overrides.items() if v is not None})
    if not settings.queue_url:
        raise click.UsageError("mpr worker needs MPR_QUEUE_URL (redis://HOST:PORT/DB)")
    chosen = [q.strip() for q in (queues or ",".join(QUEUES)).split(",") if q.strip()]
    unknown = sorted(set(chosen) - set(QUEUES))
    if unknown or not chosen:
        raise click.UsageError(
            f"unknown queue {', '.join(unknown) or '(none)'}; choose from {', '.join(QUEUES)}"
        )
    processes = concurrency or usable_cores()
    try:
        if storage:
            parse_storage_url(storage)
        configure_queue(settings)
    except MprError as exc:
        raise click.ClickException(str(exc)) from exc
    # each pool process builds its own adapters (database pools must not cross a fork)
    runtime.configure(partial(build_worker, settings, storage, processes))
    click.echo(f"MPR worker: queues {', '.join(chosen)}, {processes} at once")
    app.worker_main(
        [
            "worker",
            f"--concurrency={processes}",
            f"--queues={','.join(chosen)}",
            "--pool=prefork",
            "--loglevel=INFO",
            f"--hostname=mpr-{os.getpid()}@%h",
        ]
    )
