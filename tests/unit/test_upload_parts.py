"""Multipart uploads within S3's limits: at most 10,000 parts, each at least 5 MiB except
the last (Amazon S3 User Guide, "Amazon S3 multipart upload limits")."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from mpr.api.uploads_service import part_size_for

S3_MAX_PARTS = 10_000
S3_MIN_PART = 5 * 1024**2
S3_MAX_OBJECT = 5 * 1024**4  # 5 TiB


@given(
    size=st.integers(min_value=1, max_value=S3_MAX_OBJECT),
    threshold=st.integers(min_value=S3_MIN_PART, max_value=5 * 1024**3),
)
def test_every_upload_fits_s3s_parts(size: int, threshold: int) -> None:
    part = part_size_for(size, threshold)

    if size <= threshold:
        assert part is None  # one PUT
    else:
        assert part is not None
        assert part >= S3_MIN_PART
        assert math.ceil(size / part) <= S3_MAX_PARTS


def test_a_50_gib_source_is_sent_in_parts_of_the_threshold() -> None:
    assert part_size_for(50 * 1024**3, 64 * 1024**2) == 64 * 1024**2  # 800 parts
    assert part_size_for(1024**4, 64 * 1024**2) == math.ceil(1024**4 / S3_MAX_PARTS)
