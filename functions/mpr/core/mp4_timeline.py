"""The video packets an MP4/MOV demuxer returns, computed from the track's sample tables.

A packet scan (`ffprobe -show_entries packet=...`) reads every sample of the file to learn
what the `moov` (or each fragment's `moof`) already states: decode times (`stts`), composition
offsets (`ctts`), sync samples (`stss`) and the edit list (`elst`). This module applies
FFmpeg's rules for those tables (libavformat/mov.c: `mov_build_index`, `mov_fix_index`,
`find_prev_closest_index`, `mov_read_packet`), so that the rows it returns are the ones the
scan prints, timestamp for timestamp, flag for flag. Pure: tables in, rows out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
class _Entry:
    timestamp: int
    keyframe: bool
    discard: bool = False


def movie_rows(table: SampleTable) -> list[Row]:
    """The packet rows (pts_time, duration_time, flags) of an unfragmented track."""
    count = table.sample_count
    if count <= 0:
        return []
    deltas = _expand(table.stts, count)
    offsets = _expand(table.ctts, count) if table.ctts is not None else None
    dts_shift = _dts_shift(table.ctts) if table.ctts is not None else 0
    keys = _keyframes(table.stss, count)
    entries: list[_Entry] = []
    dts = -dts_shift
    for i in range(count):
        entries.append(_Entry(dts, keys[i]))
        dts += deltas[i]
    durations = list(deltas)
    if table.edits:
        entries, offsets, durations = _apply_edits(table, entries, offsets, deltas, dts_shift)
    rows: list[Row] = []
    for i, entry in enumerate(entries):
        pts = entry.timestamp
        if offsets is not None and i < len(offsets):
            pts += dts_shift + offsets[i]
        flags = ("K" if entry.keyframe else "_") + ("D" if entry.discard else "_") + "_"
        rows.append(_row(pts, durations[i], table.timescale, flags))
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


def _search_keyframe(
    old: list[_Entry], offsets: list[int] | None, wanted: int, dts_shift: int, any_frame: bool
) -> int:
    """`find_prev_closest_index`: the last keyframe whose PTS is at or before `wanted`."""
    wanted -= max(dts_shift, 0)
    lo, hi = -1, len(old)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if old[mid].timestamp >= wanted:
            hi = mid
        if old[mid].timestamp <= wanted:
            lo = mid
    index = lo
    if not any_frame:
        while index >= 0 and not old[index].keyframe:
            index -= 1
    if offsets is not None and index >= 0:
        while index >= 0:
            if old[index].timestamp + offsets[index] <= wanted and old[index].keyframe:
                break
            index -= 1
    return index


def _apply_edits(
    table: SampleTable,
    old: list[_Entry],
    offsets: list[int] | None,
    deltas: list[int],
    dts_shift: int,
) -> tuple[list[_Entry], list[int] | None, list[int]]:
    """`mov_fix_index` for a video track: keep the samples each edit needs, retimed."""
    new: list[_Entry] = []
    new_offsets: list[int] = []
    new_durations: list[int] = []
    entry_end = -dts_shift
    empty_sum = 0
    found_non_empty = False
    min_pts = -1
    for edit in table.edits:
        duration = _rescale(edit.duration, table.timescale, table.movie_timescale)
        media_time = edit.media_time
        counter = entry_end
        entry_end += duration
        if not found_non_empty and media_time == -1:
            empty_sum += duration
            continue
        found_non_empty = True
        index = _search_keyframe(old, offsets, media_time, dts_shift, any_frame=False)
        if index < 0:
            index = _search_keyframe(old, offsets, media_time, dts_shift, any_frame=True)
            index = max(index, 0)
        started = False
        discarded_durations: list[int] = []
        found_key_after = False
        for i in range(index, len(old)):
            current = old[i]
            frame_duration = (
                old[i + 1].timestamp - current.timestamp if i + 1 < len(old) else duration
            )
            ctts = offsets[i] if offsets is not None else 0
            cts = current.timestamp + dts_shift + ctts
            discard = cts < media_time or cts >= duration + media_time
            if discard:
                if not started:
                    discarded_durations.append(frame_duration)
            else:
                pts = counter + ctts + dts_shift
                min_pts = pts if min_pts < 0 else min(min_pts, pts)
                if not started:
                    started = True
                    end_ts = counter
                    for k, d in enumerate(reversed(discarded_durations)):
                        end_ts -= d
                        new[len(new) - 1 - k].timestamp = end_ts
                    discarded_durations = []
            new.append(_Entry(counter, current.keyframe, current.discard or discard))
            new_offsets.append(ctts)
            new_durations.append(deltas[i])
            if started:
                counter += frame_duration
            if cts + frame_duration >= duration + media_time and current.keyframe:
                if offsets is not None and not found_key_after:
                    found_key_after = True
                    continue
                break
    min_pts -= empty_sum
    if min_pts > 0:
        for entry in new:
            entry.timestamp -= min_pts
    return new, (new_offsets if offsets is not None else None), new_durations


def _rescale(value: int, num: int, den: int) -> int:
    """av_rescale: value * num / den, rounded to nearest, halves away from zero."""
    if den == 0:
        return 0
    product = value * num
    half = den // 2
    return (product + half) // den if product >= 0 else -((-product + half) // den)
