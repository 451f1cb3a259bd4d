import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { authHeaders } from "../api/client";
import type { MediaInfo, Upload } from "../api/types";
import { JobForm } from "../components/JobForm";
import { Timeline } from "../components/Timeline";
import { clamp, formatTime, frameAt, type TrimRange, timeOfFrame, trimOf, withIn, withOut } from "../lib/timecode";
import { parseSpriteVtt, resolveCueImage, type SpriteCue } from "../lib/vtt";

interface Props {
  upload: Upload;
  media: MediaInfo;
}

/** Preview player, trim timeline and the job form for one ready upload. */
export function JobEditor({ upload, media }: Props) {
  const fps = media.video.fps;
  const frameCount = media.video.frame_count;
  const video = useRef<HTMLVideoElement>(null);
  const [frame, setFrame] = useState(0);
  const [range, setRange] = useState<TrimRange>({ inFrame: 0, outFrame: frameCount });
  const [playing, setPlaying] = useState(false);
  const [previewError, setPreviewError] = useState(false);
  const cues = useSpriteCues(upload.sprite_vtt_url);

  const seek = (f: number) => {
    const target = clamp(f, 0, frameCount - 1);
    setFrame(target);
    const v = video.current;
    // the middle of the frame, so the decoder shows exactly that frame
    if (v) v.currentTime = timeOfFrame(target + 0.5, fps);
  };

  useEffect(() => {
    const v = video.current;
    if (!v || !playing) return;
    let handle = 0;
    const follow = () => {
      setFrame(clamp(frameAt(v.currentTime, fps), 0, frameCount - 1));
      handle = requestAnimationFrame(follow);
    };
    handle = requestAnimationFrame(follow);
    return () => cancelAnimationFrame(handle);
  }, [playing, fps, frameCount]);

  const togglePlay = () => {
    const v = video.current;
    if (!v) return;
    if (v.paused) void v.play().catch(() => setPreviewError(true));
    else v.pause();
  };

  const onKeyDown = (e: JSX.TargetedKeyboardEvent<HTMLElement>) => {
    const target = e.target as HTMLElement;
    if (e.altKey || e.ctrlKey || e.metaKey || target.closest("input, select, textarea")) return;
    const key = e.key.toLowerCase();
    if (key === "i") setRange(withIn(range, frame));
    else if (key === "o") setRange(withOut(range, frame + 1, frameCount));
    else if (e.key === "ArrowLeft") seek(frame - (e.shiftKey ? Math.round(fps) : 1));
    else if (e.key === "ArrowRight") seek(frame + (e.shiftKey ? Math.round(fps) : 1));
    else if (e.key === " " && target.tagName !== "BUTTON") togglePlay();
    else return;
    e.preventDefault();
  };

  const imageOf = (cue: SpriteCue) =>
    resolveCueImage(cue.image, upload.sprite_vtt_url ?? "", upload.sprite_url);
  const trim = trimOf(range, fps, frameCount);
  const length = timeOfFrame(range.outFrame - range.inFrame, fps);

  return (
    <>
      <section class="card editor" aria-labelledby="trim-title" onKeyDown={onKeyDown}>
        <h2 id="trim-title">Preview and trim</h2>
        <div class="player">
          <video
            ref={video}
            src={upload.source_url ?? undefined}
            poster={upload.poster_url ?? undefined}
            preload="auto"
            playsInline
            muted
            aria-label={`Preview of ${upload.filename}`}
            onPlay={() => setPlaying(true)}
            onPause={() => setPlaying(false)}
            onSeeked={(e) => !playing && setFrame(clamp(frameAt(e.currentTarget.currentTime, fps), 0, frameCount - 1))}
            onError={() => setPreviewError(true)}
          />
        </div>
        {previewError && (
          <p class="notice">
            This browser cannot play the source for preview. The timeline and trim still work; the
            output will be H.264/AAC.
          </p>
        )}
        <div class="transport" role="group" aria-label="Playback and trim controls">
          <button type="button" onClick={togglePlay} aria-label={playing ? "Pause" : "Play"}>
            {playing ? "Pause" : "Play"}
          </button>
          <button type="button" onClick={() => seek(frame - 1)} aria-label="Previous frame">
            ◀ Frame
          </button>
          <button type="button" onClick={() => seek(frame + 1)} aria-label="Next frame">
            Frame ▶
          </button>
          <button type="button" onClick={() => setRange(withIn(range, frame))} aria-keyshortcuts="I">
            Set in (I)
          </button>
          <button type="button" onClick={() => setRange(withOut(range, frame + 1, frameCount))} aria-keyshortcuts="O">
            Set out (O)
          </button>
          <button type="button" onClick={() => setRange({ inFrame: 0, outFrame: frameCount })}>
            Clear trim
          </button>
          <span class="clock" aria-live="off" data-testid="clock">
            {formatTime(timeOfFrame(frame, fps))} / {formatTime(media.duration)} · frame {frame}
          </span>
        </div>
        <Timeline
          fps={fps}
          frameCount={frameCount}
          frame={frame}
          range={range}
          cues={cues}
          imageOf={imageOf}
          onSeek={seek}
          onRange={setRange}
        />
        <p class="trim-summary" aria-live="polite" data-testid="trim-summary">
          In <strong>{formatTime(timeOfFrame(range.inFrame, fps))}</strong> · Out{" "}
          <strong>{formatTime(timeOfFrame(range.outFrame, fps))}</strong> · Length{" "}
          <strong>{length.toFixed(3)} s</strong> ({range.outFrame - range.inFrame} frames)
          {!trim && " · whole source"}
        </p>
        <p class="hint">
          Keys: I sets the in point, O the out point at the playhead; ← → step one frame (Shift: one
          second); Space plays. Each handle is a slider you can focus and move with the arrow keys.
        </p>
      </section>
      <JobForm uploadId={upload.upload_id} trim={trim} />
    </>
  );
}

/** The sprite's WebVTT cues (empty until loaded, or when there is no sprite). */
function useSpriteCues(url: string | null): SpriteCue[] {
  const [cues, setCues] = useState<SpriteCue[]>([]);
  useEffect(() => {
    if (!url) return;
    let live = true;
    fetch(url, { headers: authHeaders(url) })
      .then((r) => (r.ok ? r.text() : ""))
      .then((text) => live && setCues(parseSpriteVtt(text)))
      .catch(() => undefined); // scrub thumbnails are optional: the timeline works without
    return () => {
      live = false;
    };
  }, [url]);
  return cues;
}
