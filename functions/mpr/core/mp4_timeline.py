"""The video packets an MP4/MOV demuxer returns, computed from the track's sample tables.

A packet scan (`ffprobe -show_entries packet=...`) reads every sample of the file to learn
what the `moov` (or each fragment's `moof`) already states: decode times (`stts`), composition
offsets (`ctts`), sync samples (`stss`) and the edit list (`elst`). This module applies
FFmpeg's rules for those tables (libavformat/mov.c: `mov_build_index`, `mov_fix_index`,
`find_prev_closest_index`, `mov_read_packet`), so that the rows it returns are the ones the
scan prints, timestamp for timestamp, flag for flag. Pure: tables in, rows out.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import accumulate

Row = dict[str, str]

_INT32_MIN = -(2**31)


@dataclass(frozen=True)
class Edit:
    """One `elst` entry: `duration` in the movie time scale, `media_time` in the track's."""

    duration: int
    media_time: int


@dataclass(frozen=True)
class SampleTable:
    """One track's timing tables, as stored (run-length entries, 1-based sync samples)."""

    timescale: int
    movie_timescale: int
    sample_count: int
    stts: list[tuple[int, int]]
    ctts: list[tuple[int, int]] | None = None
    stss: list[int] | None = None
    """None: no `stss` box (every sample is a sync sample); []: an empty one."""
    edits: list[Edit] = field(default_factory=list)
    duration: int = 0
    """`mdhd` duration in the track time scale."""


@dataclass(frozen=True)
class FragmentSample:
    """One sample of a `trun`: decode time, duration, composition offset, sync flag."""

    dts: int
    duration: int
    offset: int
    keyframe: bool


@dataclass
class _Index:
    """A demuxer's index entries, as parallel lists (one item a sample)."""

    timestamps: list[int]
    keys: list[bool]
    discards: list[bool]
    offsets: list[int] | None
    durations: list[int]


def movie_rows(table: SampleTable) -> list[Row]:
    """The packet rows (pts_time, duration_time, flags) of an unfragmented track."""
    count = table.sample_count
    if count <= 0:
        return []
    deltas = _expand(table.stts, count)
    offsets = _expand(table.ctts, count) if table.ctts is not None else None
    dts_shift = _dts_shift(table.ctts) if table.ctts is not None else 0
    starts = list(accumulate(deltas[:-1], initial=-dts_shift))
    index = _Index(starts, _keyframes(table.stss, count), [False] * count, offsets, deltas)
    if table.edits:
        index = _apply_edits(table, index, dts_shift)
    shift = dts_shift if index.offsets is not None else 0
    pts = list(index.timestamps)
    if index.offsets is not None:
        for i, offset in enumerate(index.offsets[: len(pts)]):
            pts[i] += shift + offset
    flags = {
        (key, drop): ("K" if key else "_") + ("D" if drop else "_") + "_"
        for key in (False, True)
        for drop in (False, True)
    }
    base = 1 / table.timescale  # ffprobe: ts * av_q2d(time_base), printed with %f
    shown: dict[int, str] = {}
    rows: list[Row] = []
    for t, duration, key, drop in zip(
        pts, index.durations, index.keys, index.discards, strict=True
    ):
        if duration not in shown:
            shown[duration] = f"{duration * base:f}"
        rows.append(
            {
                "pts_time": f"{t * base:f}",
                "duration_time": shown[duration],
                "flags": flags[key, drop],
            }
        )
    return rows


def fragment_rows(samples: list[FragmentSample], timescale: int) -> list[Row]:
    """The packet rows of a fragmented track without an edit list."""
    return [
        _row(s.dts + s.offset, s.duration, timescale, "K__" if s.keyframe else "___")
        for s in samples
    ]


def _row(pts: int, duration: int, timescale: int, flags: str) -> Row:
    base = 1 / timescale  # ffprobe: ts * av_q2d(time_base), printed with %f
    return {"pts_time": f"{pts * base:f}", "duration_time": f"{duration * base:f}", "flags": flags}


def _expand(runs: list[tuple[int, int]], count: int) -> list[int]:
    values: list[int] = []
    for run, value in runs:
        if run <= 0:
            continue
        values.extend([value] * min(run, count - len(values)))
        if len(values) >= count:
            break
    if len(values) < count and values is not None:
        # stts shorter than the sample count: FFmpeg keeps the last delta
        values.extend([values[-1] if values else 0] * (count - len(values)))
    return values


def _dts_shift(ctts: list[tuple[int, int]]) -> int:
    """FFmpeg ignores the last two `ctts` entries when shifting DTS for negative offsets."""
    shift = 0
    for i, (_, offset) in enumerate(ctts):
        if i + 2 < len(ctts) and offset < 0 and offset != _INT32_MIN:
            shift = max(shift, -offset)
    return shift


def _keyframes(stss: list[int] | None, count: int) -> list[bool]:
    if stss is None:
        return [True] * count
    if not stss:
        return [i == 0 for i in range(count)]
    key_off = 1 if stss[0] > 0 else 0
    keys = [False] * count
    pos = 0
    for i in range(count):
        if i + key_off == stss[pos]:
            keys[i] = True
            if pos + 1 < len(stss):
                pos += 1
    return keys


def _search_keyframe(old: _Index, wanted: int, dts_shift: int, any_frame: bool) -> int:
    """`find_prev_closest_index`: the last keyframe whose PTS is at or before `wanted`."""
    wanted -= max(dts_shift, 0)
    index = bisect_right(old.timestamps, wanted) - 1
    if not any_frame:
        while index >= 0 and not old.keys[index]:
            index -= 1
    if old.offsets is not None:
        while index >= 0:
            if old.timestamps[index] + old.offsets[index] <= wanted and old.keys[index]:
                break
            index -= 1
    return index


def _apply_edits(table: SampleTable, old: _Index, dts_shift: int) -> _Index:
    """`mov_fix_index` for a video track: keep the samples each edit needs, retimed."""
    new = _Index([], [], [], [] if old.offsets is not None else None, [])
    entry_end = -dts_shift
    empty_sum = 0
    found_non_empty = False
    min_pts = -1  # FFmpeg's min_corrected_pts: a negative value means none yet
    total = len(old.timestamps)
    for edit in table.edits:
        duration = _rescale(edit.duration, table.timescale, table.movie_timescale)
        media_time = edit.media_time
        counter = entry_end
        entry_end += duration
        if not found_non_empty and media_time == -1:
            empty_sum += duration
            continue
        found_non_empty = True
        index = _search_keyframe(old, media_time, dts_shift, any_frame=False)
        if index < 0:
            index = max(_search_keyframe(old, media_time, dts_shift, any_frame=True), 0)
        started = False
        discarded: list[int] = []  # durations of the dropped samples before the edit starts
        found_key_after = False
        for i in range(index, total):
            stamp = old.timestamps[i]
            step = old.timestamps[i + 1] - stamp if i + 1 < total else duration
            ctts = old.offsets[i] if old.offsets is not None else 0
            cts = stamp + dts_shift + ctts
            drop = cts < media_time or cts >= duration + media_time
            if drop:
                if not started:
                    discarded.append(step)
            else:
                pts = counter + ctts + dts_shift
                min_pts = pts if min_pts < 0 else min(min_pts, pts)
                if not started:
                    started = True
                    end_ts = counter
                    for k, d in enumerate(reversed(discarded)):
                        end_ts -= d
                        new.timestamps[-1 - k] = end_ts
                    discarded = []
            new.timestamps.append(counter)
            new.keys.append(old.keys[i])
            new.discards.append(old.discards[i] or drop)
            if new.offsets is not None:
                new.offsets.append(ctts)
            new.durations.append(old.durations[i])
            if started:
                counter += step
            if cts + step >= duration + media_time and old.keys[i]:
                if old.offsets is not None and not found_key_after:
                    found_key_after = True
                    continue
                break
    lowest = min_pts - empty_sum
    if lowest > 0:
        new.timestamps = [t - lowest for t in new.timestamps]
    return new


def _rescale(value: int, num: int, den: int) -> int:
    """av_rescale: value * num / den, rounded to nearest, halves away from zero."""
    if den == 0:
        return 0
    product = value * num
    half = den // 2
    return (product + half) // den if product >= 0 else -((-product + half) // den)
