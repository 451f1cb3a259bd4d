"""Streams in the web UI, in Chromium: a job on a source with two audio tracks and two
attached caption files, made into an HLS ladder and a CMAF ladder; the CMAF ladder's DASH
manifest played by Shaka Player, every HLS master by hls.js, with the audio and caption
menus."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import httpx
import m3u8
import pytest
from mpegdash.nodes import SegmentList
from mpegdash.parser import MPEGDASHParser
from playwright.sync_api import Locator, Page, expect

from tests.api.api_helpers import wait_job
from tests.support.media import ffmpeg

from .ui_helpers import PHONE, MprServer, PageFactory, no_horizontal_overflow, srt_text, timestamp

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SECONDS = 6
TRIM_START = 1.0
# (source start, source end, text) of each caption file's cues: the job trims 1 s off the
# start, so on the output they show 1 s earlier
ENGLISH = [(1.5, 2.5, "Good morning"), (3.0, 4.0, "The second line")]
SPANISH = [(1.5, 2.5, "Buenos días"), (3.0, 4.0, "La segunda línea")]
SECOND_CUE = 1  # the one the tests look at: 2.0 s to 3.0 s on the output
SIGNED = re.compile(r"/v1/jobs/[0-9a-f]+/signed/[^/]+/(.*)$")

ACTIVE_CUES = """v => {
    const shown = [...v.textTracks].filter(t => t.mode === "showing");
    if (shown.length !== 1 || !shown[0].activeCues) return null;
    return [...shown[0].activeCues].map(c => [c.text, c.startTime, c.endTime]);
}"""


@dataclass(frozen=True)
class StreamJob:
    job_id: str
    outputs: list[dict[str, object]]


def _webvtt(cues: list[tuple[float, float, str]]) -> str:
    body = "".join(f"{timestamp(a, False)} --> {timestamp(b, False)}\n{t}\n\n" for a, b, t in cues)
    return f"WEBVTT\n\n{body}"


def _make_source(path: Path) -> None:
    """640x360 25 fps with a keyframe every second; audio tracks eng (440 Hz) and spa
    (880 Hz, one second shorter, titled)."""
    ffmpeg(
        *("-f", "lavfi", "-i", f"testsrc2=s=640x360:r=25:d={SECONDS}"),
        *("-f", "lavfi", "-i", f"sine=f=440:d={SECONDS}"),
        *("-f", "lavfi", "-i", f"sine=f=880:d={SECONDS - 1}"),
        *("-map", "0", "-map", "1", "-map", "2"),
        *("-c:v", "libx264", "-preset", "veryfast", "-g", "25", "-keyint_min", "25"),
        *("-sc_threshold", "0", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "96k"),
        *("-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=spa"),
        *("-metadata:s:a:1", "title=Español (Latinoamérica)"),
        str(path),
    )


@pytest.fixture(scope="module")
def stream_job(mpr_server: MprServer) -> StreamJob:
    """One real job, started through the API on files placed in the server's input storage:
    the source, an English SRT (the default) and a Spanish WebVTT file."""
    inputs = mpr_server.data_dir / "input" / "streams"
    inputs.mkdir(parents=True, exist_ok=True)
    _make_source(inputs / "source.mp4")
    (inputs / "en.srt").write_text(srt_text(ENGLISH), encoding="utf-8")
    (inputs / "es.vtt").write_text(_webvtt(SPANISH), encoding="utf-8")
    body = {
        "source": {"key": "streams/source.mp4"},
        "presets": ["hls-ladder", "cmaf-ladder"],
        "trim": {"start": TRIM_START, "end": None},
        "captions": [
            {
                "source": {"key": "streams/en.srt"},
                "language": "en",
                "label": "English",
                "default": True,
            },
            {"source": {"key": "streams/es.vtt"}, "language": "es", "label": "Español"},
        ],
    }
    headers = {"X-API-Key": mpr_server.api_key}
    with httpx.Client(base_url=mpr_server.base_url, headers=headers, timeout=30) as client:
        created = client.post("/v1/jobs", json=body)
        assert created.status_code == 202, created.text
        job = wait_job(client, created.json()["id"], timeout=300)
    assert job["status"] == "SUCCEEDED", job["error"]
    return StreamJob(job_id=job["id"], outputs=job["outputs"])


def _open_stream(
    page: Page, server: MprServer, job: StreamJob, preset: str, manifest: str | None
) -> Locator:
    """The player of `preset` on the job page, switched to `manifest` (DASH or HLS) where
    the output has both."""
    page.goto(server.ui(f"#/jobs/{job.job_id}"))
    stream = page.get_by_test_id(f"stream-{preset}")
    expect(stream).to_be_visible()
    if manifest is not None:
        menu = stream.get_by_label("Manifest")
        # Chromium has Media Source Extensions: a CMAF output starts with DASH
        expect(menu.locator("option:checked")).to_have_text("DASH (manifest.mpd)")
        menu.select_option(
            label=f"{manifest} ({'manifest.mpd' if manifest == 'DASH' else 'master.m3u8'})"
        )
    return stream


def _play_until(page: Page, video: Locator, seconds: float) -> None:
    """Play from the start until currentTime passes `seconds` (a condition, not a timer)."""
    video.evaluate("v => { v.currentTime = 0; return v.play(); }")
    page.wait_for_function(
        "([v, t]) => v.currentTime > t && !v.paused", arg=[video.element_handle(), seconds]
    )


def _cues_at(page: Page, video: Locator, seconds: float) -> list[list[object]]:
    """The active cues of the showing text track once the video is paused at `seconds`."""
    video.evaluate("(v, t) => { v.pause(); v.currentTime = t; }", seconds)
    page.wait_for_function(
        f"v => !v.seeking && ({ACTIVE_CUES})(v)?.length > 0", arg=video.element_handle()
    )
    cues: list[list[object]] = video.evaluate(ACTIVE_CUES)
    return cues


def _expected_cue(cues: list[tuple[float, float, str]]) -> tuple[str, float, float]:
    start, end, text = cues[SECOND_CUE]
    return text, start - TRIM_START, end - TRIM_START


def _assert_cue(shown: list[list[object]], expected: tuple[str, float, float]) -> None:
    [[text, start, end]] = shown
    assert text == expected[0]
    assert abs(float(start) - expected[1]) <= 0.001, shown  # type: ignore[arg-type]
    assert abs(float(end) - expected[2]) <= 0.001, shown  # type: ignore[arg-type]


@dataclass(frozen=True)
class Player:
    """A streaming library as a test reads its own state (the page keeps it as `video.player`):
    JavaScript expressions of `v`, the video element."""

    test_id: str
    audio_language: str
    caption_language: str


HLS_JS = Player(
    test_id="hls-video",
    audio_language="v.player.audioTracks[v.player.audioTrack]?.lang ?? null",
    caption_language="v.player.subtitleTracks[v.player.subtitleTrack]?.lang ?? null",
)
SHAKA = Player(
    test_id="dash-video",
    audio_language="v.player.getAudioTracks().find(t => t.active)?.language ?? null",
    caption_language="v.player.getTextTracks().find(t => t.active)?.language ?? null",
)


def _wait_until(page: Page, video: Locator, expression: str, value: str | None) -> None:
    page.wait_for_function(
        f"([v, want]) => ({expression}) === want", arg=[video.element_handle(), value]
    )


STREAMS = [
    pytest.param("cmaf-ladder", "DASH", SHAKA, id="cmaf-dash-shaka"),
    pytest.param("cmaf-ladder", "HLS", HLS_JS, id="cmaf-hls-hlsjs"),
    pytest.param("hls-ladder", None, HLS_JS, id="hls-hlsjs"),
]


@pytest.mark.parametrize(("preset", "manifest", "player"), STREAMS)
def test_stream_plays_and_switches_captions(
    new_page: PageFactory,
    mpr_server: MprServer,
    stream_job: StreamJob,
    preset: str,
    manifest: str | None,
    player: Player,
    screenshot: Callable[[Page, str], Path],
) -> None:
    # Given the job page with the stream, played by the library for its manifest
    page = new_page()
    stream = _open_stream(page, mpr_server, stream_job, preset, manifest)
    video = stream.get_by_test_id(player.test_id)
    page.wait_for_function("v => v.player !== undefined", arg=video.element_handle())

    # When it plays, its time advances
    _play_until(page, video, 1.0)

    # Then the captions menu lists both caption files by label, English (the default) on
    captions = stream.get_by_label("Captions")
    expect(captions.locator("option")).to_have_text(["Off", "English", "Español"])
    expect(captions.locator("option:checked")).to_have_text("English")
    _wait_until(page, video, player.caption_language, "en")

    # And the English cue 3.0-4.0 s of the source shows at 2.0-3.0 s of the trimmed output
    _assert_cue(_cues_at(page, video, 2.5), _expected_cue(ENGLISH))

    # When Spanish is chosen, the player switches to it and shows its cue at the same time
    captions.select_option(label="Español")
    _wait_until(page, video, player.caption_language, "es")
    _assert_cue(_cues_at(page, video, 2.5), _expected_cue(SPANISH))
    screenshot(page, f"captions-{preset}-{player.test_id}")

    # And Off hides every caption
    captions.select_option(label="Off")
    _wait_until(page, video, player.caption_language, None)
    page.wait_for_function(
        "v => [...v.textTracks].every(t => t.mode !== 'showing')", arg=video.element_handle()
    )
    expect(captions.locator("option:checked")).to_have_text("Off")


def _manifest_url(job: StreamJob, preset: str, manifest: str | None) -> str:
    """The URL of the manifest a case plays: the preset's top output (a CMAF output's is its
    DASH manifest, with the HLS master `master.m3u8` beside it)."""
    [top] = [
        o
        for o in job.outputs
        if o["preset"] == preset and o["kind"] != "captions" and o["rendition"] is None
    ]
    url = str(top["url"])
    return urljoin(url, "master.m3u8") if manifest == "HLS" else url


def _in_job(url: str) -> str:
    """A job file's path in the job's output folder, from its signed URL (the token in the
    path differs between two reads of the job)."""
    match = SIGNED.search(url)
    return match.group(1) if match else url


def _audio_folders(url: str) -> dict[str, str]:
    """Language -> folder (in the job's output folder) of each audio rendition, as an
    independent parser (mpegdash, m3u8) reads the manifest at `url`."""
    text = httpx.get(url, timeout=10).raise_for_status().text
    if url.endswith(".mpd"):
        period = MPEGDASHParser.parse(text).periods[0]
        sets = [a for a in period.adaptation_sets if a.content_type == "audio"]
        return {a.lang: _in_job(_folder(url, a.representations[0].segment_lists[0])) for a in sets}
    media = [m for m in m3u8.loads(text, uri=url).media if m.type == "AUDIO"]
    return {m.language: _in_job(urljoin(m.absolute_uri, ".")) for m in media}


def _folder(url: str, segments: SegmentList) -> str:
    """The folder of the first media segment of a DASH `SegmentList`, as a URL."""
    return urljoin(urljoin(url, segments.segment_urls[0].media), ".")


@pytest.mark.parametrize(("preset", "manifest", "player"), STREAMS)
def test_stream_switches_audio_track(
    new_page: PageFactory,
    mpr_server: MprServer,
    stream_job: StreamJob,
    preset: str,
    manifest: str | None,
    player: Player,
) -> None:
    # Given the stream's manifest, with an audio rendition per source track in its own folder
    folders = _audio_folders(_manifest_url(stream_job, preset, manifest))
    assert set(folders) == {"en", "es"}
    assert folders["en"] != folders["es"]

    # And its player on the job page, playing English, the first track
    page = new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(_in_job(request.url)))
    stream = _open_stream(page, mpr_server, stream_job, preset, manifest)
    video = stream.get_by_test_id(player.test_id)
    page.wait_for_function("v => v.player !== undefined", arg=video.element_handle())
    _play_until(page, video, 0.5)
    audio = stream.get_by_label("Audio")
    # (the untitled track by its language, the other by its title)
    expect(audio.locator("option")).to_have_text(["English", "Español (Latinoamérica)"])
    expect(audio.locator("option:checked")).to_have_text("English")
    _wait_until(page, video, player.audio_language, "en")
    assert any(url.startswith(folders["en"]) for url in requested)
    assert not any(url.startswith(folders["es"]) for url in requested)

    # When Spanish is chosen in the audio menu
    with page.expect_request(lambda request: _in_job(request.url).startswith(folders["es"])):
        audio.select_option(label="Español (Latinoamérica)")

    # Then the player switches to the Spanish rendition, and playback goes on with it
    _wait_until(page, video, player.audio_language, "es")
    expect(audio.locator("option:checked")).to_have_text("Español (Latinoamérica)")
    _play_until(page, video, 1.5)


def test_players_and_their_menus_fit_a_phone(
    new_page: PageFactory,
    mpr_server: MprServer,
    stream_job: StreamJob,
    screenshot: Callable[[Page, str], Path],
) -> None:
    # Given the job page on a phone, with every menu of the CMAF player shown
    page = new_page(viewport=PHONE)
    stream = _open_stream(page, mpr_server, stream_job, "cmaf-ladder", "DASH")
    for menu in ("Manifest", "Rendition", "Captions"):
        expect(stream.get_by_label(menu)).to_be_visible()

    # Then nothing sticks out sideways
    width, viewport = no_horizontal_overflow(page)
    screenshot(page, "phone-streams")
    assert width <= viewport, f"the page is {width} px wide on a {viewport} px screen"


def test_job_page_lists_every_audio_track_of_the_source(
    new_page: PageFactory, mpr_server: MprServer, stream_job: StreamJob
) -> None:
    # Given the job page
    page = new_page()
    page.goto(mpr_server.ui(f"#/jobs/{stream_job.job_id}"))

    # Then the source's facts name both audio tracks with their tags, in the source's order
    audio = page.locator("dl.facts div", has=page.locator("dt", has_text="Audio")).locator("dd")
    expect(audio).to_have_text(
        "aac, 44100 Hz, 1 ch (eng); aac, 44100 Hz, 1 ch (spa, Español (Latinoamérica))"
    )
