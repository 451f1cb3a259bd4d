"""`mpr serve`: the jobs API (uvicorn) and the local runner in one process.

SIGTERM or SIGINT stops it gracefully: the API stops taking requests, then the runner
drains (running chunk tasks finish; interrupted jobs resume at the next start).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import click

from mpr.settings import Settings


@click.command(name="serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--data-dir", type=click.Path(file_okay=False, path_type=Path), help="state and files"
)
@click.option("--workers", type=click.IntRange(1, 256), help="ffmpeg processes per job")
@click.option("--storage", metavar="s3://BUCKET[/PREFIX]", help="keep files in S3, not data-dir")
@click.option("--s3-endpoint", metavar="URL", help="S3 endpoint (MinIO, SeaweedFS, ...)")
def command(
    host: str,
    port: int,
    data_dir: Path | None,
    workers: int | None,
    storage: str | None,
    s3_endpoint: str | None,
) -> None:
    """Serve the jobs API and run queued jobs on this machine."""
    import uvicorn

    from mpr.adapters.api_keys import create_key
    from mpr.api import create_app
    from mpr.core.errors import MprError
    from mpr.services import build_local, webhook_secret_file

    overrides: dict[str, Any] = {"data_dir": data_dir, "workers": workers}
    if s3_endpoint:
        overrides |= {"s3_endpoint_url": s3_endpoint, "s3_force_path_style": True}
    base = Settings(**{k: v for k, v in overrides.items() if v is not None})
    if "api_base_url" not in base.model_fields_set:
        base = base.model_copy(update={"api_base_url": f"http://{host}:{port}"})
    try:
        services = build_local(base, storage_url=storage)
    except MprError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        if not services.keys.list():
            _, secret = create_key(services.keys, "default")
            click.echo(
                f"created the first API key (shown once; `mpr keys create` makes more):\n{secret}"
            )
        where = storage or str(base.data_dir)
        signing = (
            "MPR_WEBHOOK_SECRET" if base.webhook_secret else f"the file {webhook_secret_file(base)}"
        )
        click.echo(f"webhooks are signed with the secret in {signing}")
        click.echo(f"MPR API on http://{host}:{port} (files: {where}, workers: {base.workers})")
        with _stop_signals_only_stop_uvicorn():
            uvicorn.run(create_app(services), host=host, port=port, log_level="info")
    finally:
        services.close()


@contextmanager
def _stop_signals_only_stop_uvicorn() -> Iterator[None]:
    """uvicorn re-raises the SIGTERM or SIGINT that stopped it when it returns; these
    handlers absorb that one, so the runner can drain. A second signal acts at once."""
    stop_signals = (signal.SIGTERM, signal.SIGINT)
    previous = {sig: signal.signal(sig, _announce_drain) for sig in stop_signals}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _announce_drain(signum: int, frame: FrameType | None) -> None:
    click.echo(f"{signal.Signals(signum).name}: finishing the running chunk tasks")
