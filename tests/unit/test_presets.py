"""Presets: the built-ins, custom presets from JSON, and sizing renditions for a source."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mpr.core.errors import InvalidInputError, UnknownPresetError
from mpr.core.models import VideoRendition
from mpr.core.presets import (
    builtin_presets,
    custom_preset,
    parse_preset,
    renditions_for,
    resolve_presets,
    size_rendition,
)
from tests.unit.factories import make_media


def heights(
    preset_name: str,
    width: int,
    height: int,
    display_width: int | None = None,
    display_height: int | None = None,
) -> list[tuple[int, int]]:
    preset = builtin_presets()[preset_name]
    media = make_media(width, height, display_width=display_width, display_height=display_height)
    return [(s.width, s.height) for s in renditions_for(preset, media)]


def test_builtin_presets_exist() -> None:
    # Given the built-in presets, Then the six documented ones are there with their kinds
    presets = builtin_presets()
    assert {name: p.kind for name, p in presets.items()} == {
        "mp4-1080p": "mp4",
        "mp4-720p": "mp4",
        "hls-ladder": "hls",
        "cmaf-ladder": "cmaf",
        "thumbnails": "thumbnails",
        "audio-aac": "audio",
        "audio-opus": "audio",
    }
    assert [r.height for r in presets["hls-ladder"].renditions] == [1080, 720, 480, 360]
    # and the CMAF ladder has the HLS ladder's rungs
    assert presets["cmaf-ladder"].renditions == presets["hls-ladder"].renditions
    assert presets["thumbnails"].thumbnails is not None


def test_hls_ladder_is_capped_at_a_720p_source() -> None:
    # Given a 1280x720 source, When the ladder is sized, Then the 1080p rung is dropped
    assert heights("hls-ladder", 1280, 720) == [(1280, 720), (854, 480), (640, 360)]


def test_cmaf_ladder_is_capped_at_the_source_like_the_hls_ladder() -> None:
    assert heights("cmaf-ladder", 1280, 720) == [(1280, 720), (854, 480), (640, 360)]
    assert heights("cmaf-ladder", 320, 240) == [(320, 240)]


def test_hls_ladder_keeps_every_rung_for_a_1080p_source() -> None:
    assert heights("hls-ladder", 1920, 1080) == [(1920, 1080), (1280, 720), (854, 480), (640, 360)]


def test_hls_ladder_of_a_240p_source_is_one_rung_at_the_source_height() -> None:
    # Given a 320x240 source (below the lowest rung), Then one rung at 240 lines, not upscaled
    assert heights("hls-ladder", 320, 240) == [(320, 240)]


def test_mp4_1080p_never_upscales() -> None:
    assert heights("mp4-1080p", 640, 272) == [(640, 272)]


def test_rotated_source_is_sized_by_its_display_dimensions() -> None:
    # Given a 1920x1080 coded frame shown rotated (portrait 1080x1920)
    sized = heights("mp4-720p", 1920, 1080, display_width=1080, display_height=1920)
    # Then the 720p rendition is 720 lines of the portrait picture, 405 wide rounded to even
    assert sized in ([(404, 720)], [(406, 720)])


def test_odd_source_gives_even_sizes_with_its_aspect() -> None:
    # Given an odd-sized 853x479 source
    sized = heights("hls-ladder", 853, 479)
    # Then every rung has even dimensions
    assert all(w % 2 == 0 and h % 2 == 0 for w, h in sized)
    # And the 360p rung is 641.09 wide rounded to the nearest even width
    assert sized == [(642, 360)]


def test_capped_size_of_an_odd_source_is_not_upscaled() -> None:
    # Given a 1920x1079 source (one line short of 1080p)
    # When mp4-1080p is sized for it
    sized = heights("mp4-1080p", 1920, 1079)
    # Then the frame is rounded down to even sizes, never up past the source
    assert sized == [(1918, 1078)]


def test_anamorphic_source_uses_the_display_aspect() -> None:
    # Given 720x576 PAL coded, 1024x576 displayed (16:9)
    sized = heights("mp4-720p", 720, 576, display_width=1024, display_height=576)
    # Then the output has the display aspect
    assert sized == [(1024, 576)]


@given(
    width=st.integers(16, 7680),
    height=st.integers(16, 4320),
    target=st.integers(16, 4320),
)
def test_capped_sizes_are_even_keep_the_aspect_and_never_upscale(
    width: int, height: int, target: int
) -> None:
    # Given any source size and any rendition height
    media = make_media(width, height)
    rendition = VideoRendition(name="r", height=target, max_bitrate_kbps=1000)
    # When the rendition is sized with capping
    sized = size_rendition(rendition, media, cap=True)
    # Then both dimensions are even
    assert sized.width % 2 == 0
    assert sized.height % 2 == 0
    # And the width is the nearest even width for the display aspect
    assert abs(sized.width - width * sized.height / height) <= 1 or sized.width == 2
    # And the frame is never larger than the source
    assert sized.height <= height
    assert sized.width <= width


def test_identical_renditions_across_presets_share_one_encode() -> None:
    # Given mp4-720p and hls-ladder (both hold the same 720p rendition) on a 1080p source
    media = make_media(1920, 1080)
    presets = builtin_presets()
    mp4 = renditions_for(presets["mp4-720p"], media)
    ladder = renditions_for(presets["hls-ladder"], media)
    # Then the 720p encode has the same id in both
    assert mp4[0].id in {s.id for s in ladder}
    # And a differently named rendition with the same settings shares it too
    renamed = presets["mp4-720p"].renditions[0].model_copy(update={"name": "my-720"})
    assert size_rendition(renamed, media).id == mp4[0].id
    # But another size or setting does not
    assert len({s.id for s in ladder}) == 4
    other_crf = renamed.model_copy(update={"crf": 30})
    assert size_rendition(other_crf, media).id != mp4[0].id


def test_identical_rungs_of_a_ladder_are_encoded_once() -> None:
    # Given a custom ladder with two rungs that differ only by name
    ladder = custom_preset(
        "ladder",
        [VideoRendition(name=n, height=360, max_bitrate_kbps=800) for n in ("sd", "low")],
    )
    # When it is sized for a 720p source, Then it is one encode
    assert [(s.width, s.height) for s in renditions_for(ladder, make_media(1280, 720))] == [
        (640, 360)
    ]


def test_thumbnails_preset_has_no_video_renditions() -> None:
    assert renditions_for(builtin_presets()["thumbnails"], make_media()) == []


def test_parse_preset_accepts_json_text_and_mappings() -> None:
    # Given a custom preset as a mapping and as JSON text
    data = {
        "name": "web-540",
        "kind": "mp4",
        "renditions": [{"name": "540p", "height": 540, "max_bitrate_kbps": 2000}],
    }
    # When both are parsed, Then they are the same preset
    assert parse_preset(data) == parse_preset(json.dumps(data))
    assert parse_preset(json.dumps(data).encode()).renditions[0].height == 540


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ("{not json", "preset"),
        (
            '{"name": "x", "kind": "mp4", "renditions": [], "colour": "red"}',
            "colour",
        ),
        ('{"name": "Bad Name", "kind": "hls", "renditions": []}', "name"),
        ('{"name": "x", "kind": "webm"}', "kind"),
        ('{"name": "x", "kind": "mp4", "renditions": []}', "preset"),
        (
            '{"name": "x", "kind": "mp4", "renditions": [{"name": "a", "height": 720,'
            ' "max_bitrate_kbps": 1000, "crf": 60}]}',
            "renditions.0.crf",
        ),
        (
            '{"name": "x", "kind": "hls", "renditions": ['
            '{"name": "a", "height": 720, "max_bitrate_kbps": 1000},'
            '{"name": "a", "height": 480, "max_bitrate_kbps": 500}]}',
            "preset",
        ),
        (
            '{"name": "x", "kind": "thumbnails", "renditions": ['
            '{"name": "a", "height": 720, "max_bitrate_kbps": 1000}]}',
            "preset",
        ),
    ],
    ids=[
        "bad-json",
        "unknown-field",
        "bad-name",
        "bad-kind",
        "mp4-without-rendition",
        "crf-out-of-range",
        "duplicate-rendition-names",
        "thumbnails-with-renditions",
    ],
)
def test_parse_preset_rejects_bad_input(data: str, field: str) -> None:
    # When an invalid preset is parsed, Then it is InvalidInputError naming where it is wrong
    with pytest.raises(InvalidInputError) as caught:
        parse_preset(data)
    assert f"invalid preset: {field}" in str(caught.value)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"name": "x", "kind": "cmaf"}, "a cmaf preset needs at least one rendition"),
        (
            {"name": "x", "kind": "cmaf", "renditions": [], "thumbnails": {}},
            "a cmaf preset needs at least one rendition",
        ),
        (
            {
                "name": "x",
                "kind": "cmaf",
                "segment_seconds": 0.5,
                "renditions": [{"name": "a", "height": 720, "max_bitrate_kbps": 1000}],
            },
            "segment_seconds: Input should be greater than or equal to 1",
        ),
    ],
    ids=["no-renditions", "empty-renditions", "short-segments"],
)
def test_bad_cmaf_preset_says_why(data: dict[str, object], reason: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_preset(data)
    assert reason in str(caught.value)


def test_resolve_presets_keeps_order_and_drops_repeats() -> None:
    chosen = resolve_presets(["hls-ladder", "mp4-720p", "hls-ladder"])
    assert [p.name for p in chosen] == ["hls-ladder", "mp4-720p"]


def test_resolve_presets_finds_custom_presets() -> None:
    custom = custom_preset(
        "phone", [VideoRendition(name="p", height=540, max_bitrate_kbps=1200)], kind="mp4"
    )
    assert resolve_presets(["phone"], {"phone": custom}) == [custom]


def test_resolve_presets_names_the_unknown_preset() -> None:
    # When a preset name is unknown, Then UnknownPresetError names it and lists the known ones
    with pytest.raises(UnknownPresetError) as caught:
        resolve_presets(["mp4-720p", "mp4-4k"])
    assert "'mp4-4k'" in str(caught.value)
    assert "hls-ladder" in str(caught.value)


def test_resolve_presets_needs_at_least_one() -> None:
    with pytest.raises(InvalidInputError) as caught:
        resolve_presets([])
    assert not isinstance(caught.value, UnknownPresetError)


def test_custom_preset_with_one_rendition_makes_an_mp4() -> None:
    rendition = VideoRendition(name="r", height=360, max_bitrate_kbps=800)
    assert custom_preset("one", [rendition], kind="mp4").kind == "mp4"
    assert custom_preset("ladder", [rendition]).kind == "hls"
