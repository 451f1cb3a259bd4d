"""How the local pool shares the cores between the chunk encodes it runs at once."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from mpr.adapters.local_orchestrator import LocalPipeline
from mpr.adapters.local_storage import LocalStorage
from mpr.media.tools import Tools
from mpr.settings import get_settings
from mpr.stages import StageContext


@pytest.fixture
def ctx(tmp_path: Path) -> StageContext:
    storage = LocalStorage(tmp_path)
    return StageContext(
        inputs=storage,
        work=storage,
        outputs=storage,
        tools=Tools.from_settings(get_settings()),
        limits=get_settings().limits,
    )


@pytest.mark.parametrize(
    ("cores", "workers", "encoder", "decoder"),
    [
        (2, 2, 2, 1),
        (16, 4, 4, 4),
        (16, 16, 2, 1),
        (4, 8, 2, 1),
        (1, 1, 2, 1),
        (16, 1, 8, 16),
        (64, 4, 8, 16),
    ],
)
def test_each_encode_gets_the_cores_per_worker(
    ctx: StageContext, cores: int, workers: int, encoder: int, decoder: int
) -> None:
    # When a pool of `workers` runs on `cores` cores
    pipeline = LocalPipeline(ctx, workers, cpu_count=cores)
    # Then the decoder gets the cores per worker and x264 as many, but at least two threads
    # and at most eight (more frame threads spend maxrate worse)
    assert (pipeline.ctx.encode_threads, pipeline.ctx.decode_threads) == (encoder, decoder)


def test_thread_counts_set_by_the_caller_are_kept(ctx: StageContext) -> None:
    pipeline = LocalPipeline(replace(ctx, encode_threads=3, decode_threads=5), 2, cpu_count=2)
    assert (pipeline.ctx.encode_threads, pipeline.ctx.decode_threads) == (3, 5)
