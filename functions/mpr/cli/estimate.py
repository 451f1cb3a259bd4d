"""`mpr estimate`: predicted wall time and cost of a job on Lambda and Step Functions."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from mpr.core.errors import MprError
from mpr.core.estimate import LAMBDA_MAX_MB, JobEstimate, Platform
from mpr.core.planning import plan_chunks
from mpr.core.presets import resolve_presets
from mpr.media.probe import probe
from mpr.media.tools import Tools
from mpr.settings import get_settings
from mpr.stages import job_estimate


@click.command("estimate")
@click.argument("source")
@click.option(
    "--preset",
    "presets",
    multiple=True,
    default=("mp4-720p",),
    show_default=True,
    help="Preset name; repeat for several (mp4-1080p, mp4-720p, hls-ladder, thumbnails).",
)
@click.option("--lambdas", type=click.IntRange(1, 10_000), default=100, show_default=True)
@click.option("--arch", type=click.Choice(["x86_64", "arm64"]), default="x86_64", show_default=True)
@click.option(
    "--memory-mb", type=click.IntRange(128, LAMBDA_MAX_MB), default=LAMBDA_MAX_MB, show_default=True
)
@click.option(
    "--chunk-seconds",
    type=click.FloatRange(1, 600),
    default=None,
    help="Target chunk length [default: MPR_CHUNK_SECONDS or 10].",
)
@click.option("--account-concurrency", type=click.IntRange(1), default=1000, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the estimate as JSON.")
def command(
    source: str,
    presets: tuple[str, ...],
    lambdas: int,
    arch: str,
    memory_mb: int,
    chunk_seconds: float | None,
    account_concurrency: int,
    as_json: bool,
) -> None:
    """Probe SOURCE (a path or an http(s) URL), plan it as the cloud would, and print the
    predicted wall time and cost per stage next to the MediaConvert list price."""
    settings = get_settings()
    try:
        media, index = probe(Tools.from_settings(settings), source)
        spec = settings.job_spec(
            source, resolve_presets(presets, {}), chunk_seconds=chunk_seconds, workers=lambdas
        )
        plan = plan_chunks(
            index,
            target_seconds=spec.chunk_seconds,
            min_seconds=spec.min_chunk_seconds,
            workers=spec.workers,
            trim=spec.trim,
        )
        platform = Platform.model_validate(
            {
                "lambdas": lambdas,
                "arch": arch,
                "memory_mb": memory_mb,
                "account_concurrency": account_concurrency,
            }
        )
        result = job_estimate(spec, media, index, plan, platform)
    except MprError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(result.model_dump_json(indent=2))
        return
    source_line = (
        f"{media.video.width}x{media.video.height} {media.video.fps:.3g} fps, "
        f"{plan.duration / 60:.1f} min, {(media.bit_rate or 0) / 1e6:.1f} Mb/s"
    )
    _print(result, source_line, platform)


def _print(result: JobEstimate, source_line: str, platform: Platform) -> None:
    console = Console()
    console.print(f"source: {source_line}; {result.chunks} chunks")
    table = Table("stage", "seconds", "cost USD", "invocations", "note")
    for stage in result.stages:
        table.add_row(
            stage.stage,
            f"{stage.seconds:.1f}",
            f"{stage.cost_usd:.4f}",
            str(stage.invocations),
            stage.note,
        )
    console.print(table)
    console.print(
        f"wall {result.wall_seconds:.1f} s (slowest stage: {result.slowest_stage}; longest "
        f"chunk task {result.longest_chunk_seconds:.1f} s) on {platform.lambdas} Lambdas, "
        f"{platform.arch}"
    )
    console.print(
        f"cost ${result.cost_usd:.4f} (Step Functions ${result.step_functions_usd:.4f}); "
        f"MediaConvert list price ${result.mediaconvert_usd:.4f} for "
        f"{result.output_minutes:.1f} output minutes"
    )
    console.print("assumptions:")
    for line in result.assumptions:
        console.print(f"  - {line}")
