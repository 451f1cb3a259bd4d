"""`mpr transcode`: run the whole pipeline on a local file with the local worker pool."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path

import click
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from mpr.adapters.local_orchestrator import LocalPipeline, PipelineEvent
from mpr.adapters.local_storage import LocalStorage
from mpr.caption_outputs import check_attached
from mpr.cli import fail
from mpr.core import keys
from mpr.core.errors import InvalidInputError, MprError
from mpr.core.models import CaptionSpec, JobSpec, Manifest, Preset, Trim
from mpr.core.presets import parse_preset, resolve_presets
from mpr.media.tools import Tools
from mpr.settings import Settings, get_settings
from mpr.stages import StageContext

WORK_DIR = ".mpr-work"
STAGING_DIR = ".mpr-staging"


@click.command("transcode")
@click.argument("source", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the outputs and manifest.json (created if missing).",
)
@click.option(
    "--preset",
    "presets",
    multiple=True,
    default=("mp4-720p",),
    show_default=True,
    help="Preset name; repeat for several (mp4-1080p, mp4-720p, hls-ladder, thumbnails, "
    "audio-aac, audio-opus).",
)
@click.option(
    "--preset-file",
    "preset_files",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="JSON file with a custom preset (or a list of them) usable by --preset.",
)
@click.option(
    "--chunk-seconds",
    type=click.FloatRange(1, 600),
    default=None,
    help="Target chunk length [default: MPR_CHUNK_SECONDS or 10].",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 256),
    default=None,
    help="Chunks encoded at once [default: number of cores].",
)
@click.option("--trim-start", type=float, default=None, help="Start of the range, seconds.")
@click.option("--trim-end", type=float, default=None, help="End of the range, seconds.")
@click.option(
    "--caption",
    "captions",
    multiple=True,
    metavar="FILE,language=TAG[,label=NAME][,default][,forced]",
    help="SRT or WebVTT file to carry as captions; repeat for several.",
)
@click.option(
    "--audio-language",
    "audio_languages",
    multiple=True,
    metavar="TAG",
    help="Carry only the source's audio tracks in this language (BCP 47, e.g. en); repeat "
    "for several [default: every track].",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
def command(
    source: Path,
    out_dir: Path,
    presets: tuple[str, ...],
    preset_files: tuple[Path, ...],
    chunk_seconds: float | None,
    workers: int | None,
    trim_start: float | None,
    trim_end: float | None,
    captions: tuple[str, ...],
    audio_languages: tuple[str, ...],
    quiet: bool,
) -> None:
    """Transcode SOURCE into --out: chunks encoded in parallel, stitched, packaged, checked."""
    settings = get_settings()
    try:
        root, spec = _job_spec(
            source,
            presets,
            preset_files,
            chunk_seconds,
            workers,
            trim_start,
            trim_end,
            captions,
            audio_languages,
            settings,
        )
        check_attached(LocalStorage(root), spec)
    except MprError as exc:
        fail(str(exc), 2)
    manifest = _run(root, out_dir, spec, settings, quiet)
    out = out_dir.resolve()
    click.echo(f"outputs: {out}")
    for record in manifest.outputs:
        if record.rendition is None or record.kind == "mp4":
            click.echo(f"  {record.kind:<10} {out / record.path}")
    for stream in manifest.media.not_carried:
        language = f", {stream.language}" if stream.language else ""
        click.echo(f"not carried: stream {stream.index} ({stream.type}, {stream.codec}{language})")
    click.echo(f"manifest: {out / 'manifest.json'}")


def _job_spec(
    source: Path,
    presets: tuple[str, ...],
    preset_files: tuple[Path, ...],
    chunk_seconds: float | None,
    workers: int | None,
    trim_start: float | None,
    trim_end: float | None,
    captions: tuple[str, ...],
    audio_languages: tuple[str, ...],
    settings: Settings,
) -> tuple[Path, JobSpec]:
    """The folder the job reads its files from (the source's, or one above it that holds
    the caption files too) and the job spec, with paths relative to that folder."""
    if not source.exists():
        raise InvalidInputError(f"source '{source}' does not exist")
    if not source.is_file():
        raise InvalidInputError(f"source '{source}' is not a file")
    if source.stat().st_size == 0:
        raise InvalidInputError(f"source '{source}' is empty (0 bytes)")
    custom = {p.name: p for f in preset_files for p in _read_presets(f)}
    attached = [_caption_option(c) for c in captions]
    files = [source.resolve(), *(Path(str(c["source"])).resolve() for c in attached)]
    root = Path(os.path.commonpath([f.parent for f in files]))
    try:
        trim = None
        if trim_start is not None or trim_end is not None:
            trim = Trim(start=trim_start or 0.0, end=trim_end)
        spec = settings.job_spec(
            files[0].relative_to(root).as_posix(),
            resolve_presets(presets, custom),
            trim=trim,
            chunk_seconds=chunk_seconds,
            workers=workers,
            audio_languages=list(audio_languages) if audio_languages else None,
        )
        relative = [
            c | {"source": f.relative_to(root).as_posix()}
            for c, f in zip(attached, files[1:], strict=True)
        ]
        return root, spec.model_copy(
            update={"captions": [CaptionSpec.model_validate(c) for c in relative]}
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        where = " ".join([exc.title.lower(), *(str(p) for p in err["loc"])])
        reason = str(err["msg"]).removeprefix("Value error, ")
        raise InvalidInputError(f"invalid {where}: {reason}") from exc


def _caption_option(value: str) -> dict[str, str | bool]:
    """`FILE,language=en,label=English,default,forced` as CaptionSpec fields."""
    path, *fields = value.split(",")
    if not path:
        raise InvalidInputError(f"--caption {value!r}: give the caption file first")
    option: dict[str, str | bool] = {"source": path}
    for field in fields:
        key, sep, text = field.partition("=")
        if key in ("default", "forced") and not sep:
            option[key] = True
        elif key in ("language", "label") and sep:
            option[key] = text
        else:
            raise InvalidInputError(
                f"--caption {value!r}: unknown part {field!r} (use language=TAG, label=NAME, "
                "default, forced)"
            )
    if "language" not in option:
        raise InvalidInputError(f"--caption {value!r}: say its language=TAG (BCP 47)")
    return option


def _read_presets(path: Path) -> list[Preset]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InvalidInputError(f"cannot read preset file '{path}': {exc}") from exc
    return [parse_preset(item) for item in (data if isinstance(data, list) else [data])]


def _run(root: Path, out_dir: Path, spec: JobSpec, settings: Settings, quiet: bool) -> Manifest:
    """Run the job with its outputs written to a staging folder inside `out_dir`, moved into
    `out_dir` once the job has succeeded and removed when it fails."""
    out_dir.mkdir(parents=True, exist_ok=True)
    work = out_dir / WORK_DIR
    staging = out_dir / STAGING_DIR
    shutil.rmtree(staging, ignore_errors=True)  # left by a run that was killed
    ctx = StageContext(
        inputs=LocalStorage(root),
        work=LocalStorage(work),
        outputs=LocalStorage(staging),
        tools=Tools.from_settings(settings),
        limits=settings.limits,
        output_prefix="",
    )
    pipeline = LocalPipeline(ctx, spec.workers)
    console = Console(stderr=True)
    columns = (
        TextColumn("{task.description:<9}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("chunk encodes"),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns, console=console, disable=quiet, transient=False) as bar:
            task = bar.add_task("probe", total=None)

            def show(event: PipelineEvent) -> None:
                bar.update(
                    task,
                    description=event.stage,
                    completed=event.chunks_done,
                    total=event.chunks_total or None,
                )

            manifest = pipeline.run(uuid.uuid4().hex[:12], spec, on_event=show)
        _publish(staging, out_dir)
        return manifest
    except InvalidInputError as exc:
        fail(str(exc), 2)
    except MprError as exc:
        fail(str(exc), 1)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(staging, ignore_errors=True)
    raise AssertionError("unreachable")


def _publish(staging: Path, out_dir: Path) -> None:
    """Move every output from `staging` into `out_dir`, replacing an earlier run's, the
    manifest last: a manifest in `out_dir` only ever names outputs that are in place."""
    manifest = keys.manifest("")
    (out_dir / manifest).unlink(missing_ok=True)
    for entry in sorted(staging.iterdir(), key=lambda p: p.name == manifest):
        target = out_dir / entry.name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        else:
            target.unlink(missing_ok=True)
        entry.replace(target)
