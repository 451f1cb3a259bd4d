import type { JSX } from "preact";
import { useRef, useState } from "preact/hooks";
import { clamp, formatTime, spokenTime, type TrimRange, timeOfFrame, withIn, withOut } from "../lib/timecode";
import { cueAt, type SpriteCue } from "../lib/vtt";

interface Props {
  fps: number;
  frameCount: number;
  frame: number;
  range: TrimRange;
  cues: SpriteCue[];
  imageOf: (cue: SpriteCue) => string;
  onSeek: (frame: number) => void;
  onRange: (range: TrimRange) => void;
}

type Drag = "playhead" | "in" | "out";
const FILMSTRIP_TILES = 10;
const FILMSTRIP_HEIGHT = 56;

/**
 * The trim timeline: a filmstrip from the sprite, the selected range, draggable in/out
 * handles and a playhead. Every handle is a focusable slider: arrows step one frame,
 * Shift+arrows or Page keys one second, Home/End jump to the ends.
 */
export function Timeline({ fps, frameCount, frame, range, cues, imageOf, onSeek, onRange }: Props) {
  const track = useRef<HTMLDivElement>(null);
  const [drag, setDrag] = useState<Drag | null>(null);
  const [hover, setHover] = useState<number | null>(null);
  const pct = (f: number) => `${(100 * f) / frameCount}%`;
  const secondFrames = Math.max(1, Math.round(fps));

  const frameAtPointer = (clientX: number, edge: boolean): number => {
    const box = track.current!.getBoundingClientRect();
    const f = Math.round(((clientX - box.left) / box.width) * frameCount);
    return clamp(f, 0, edge ? frameCount : frameCount - 1);
  };

  const apply = (what: Drag, f: number) => {
    if (what === "in") onRange(withIn(range, f));
    else if (what === "out") onRange(withOut(range, f, frameCount));
    else onSeek(clamp(f, 0, frameCount - 1));
  };

  const onPointerDown = (e: JSX.TargetedPointerEvent<HTMLDivElement>) => {
    const target = e.target as HTMLElement;
    const what = (target.dataset.handle as Drag | undefined) ?? "playhead";
    track.current!.setPointerCapture(e.pointerId);
    setDrag(what);
    if (what === "playhead") apply("playhead", frameAtPointer(e.clientX, false));
    target.focus?.();
    e.preventDefault();
  };

  const onPointerMove = (e: JSX.TargetedPointerEvent<HTMLDivElement>) => {
    const f = frameAtPointer(e.clientX, drag === "out");
    setHover(f);
    if (drag) apply(drag, f);
  };

  const keyStep = (what: Drag, current: number, max: number) => (e: JSX.TargetedKeyboardEvent<HTMLElement>) => {
    const steps: Record<string, number> = {
      ArrowLeft: e.shiftKey ? -secondFrames : -1,
      ArrowRight: e.shiftKey ? secondFrames : 1,
      ArrowDown: -1,
      ArrowUp: 1,
      PageDown: -secondFrames,
      PageUp: secondFrames,
    };
    let next: number | null = null;
    if (e.key in steps) next = current + steps[e.key];
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = max;
    if (next === null) return;
    e.preventDefault();
    e.stopPropagation();
    apply(what, next);
  };

  const slider = (what: Drag, label: string, value: number, max: number) => ({
    role: "slider" as const,
    tabIndex: 0,
    "aria-label": label,
    "aria-valuemin": 0,
    "aria-valuemax": max,
    "aria-valuenow": value,
    "aria-valuetext": spokenTime(value, fps),
    "data-handle": what,
    onKeyDown: keyStep(what, value, max),
  });

  const hoverCue = hover !== null ? cueAt(cues, timeOfFrame(hover, fps)) : undefined;

  return (
    <div class="timeline">
      <div
        ref={track}
        class={`track${drag ? " dragging" : ""}`}
        data-testid="timeline-track"
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={() => setDrag(null)}
        onPointerCancel={() => setDrag(null)}
        onPointerLeave={() => !drag && setHover(null)}
      >
        <div class="filmstrip" aria-hidden="true">
          {cues.length > 0 &&
            Array.from({ length: FILMSTRIP_TILES }, (_, i) => {
              const cue = cueAt(cues, ((i + 0.5) / FILMSTRIP_TILES) * (frameCount / fps))!;
              return <SpriteTile key={i} cue={cue} image={imageOf(cue)} height={FILMSTRIP_HEIGHT} fill />;
            })}
        </div>
        <div class="shade" style={{ left: 0, width: pct(range.inFrame) }} />
        <div class="shade" style={{ left: pct(range.outFrame), right: 0 }} />
        <div class="selection" style={{ left: pct(range.inFrame), width: pct(range.outFrame - range.inFrame) }} />
        <div class="handle handle-in" style={{ left: pct(range.inFrame) }} {...slider("in", "In point", range.inFrame, frameCount - 1)} />
        <div class="handle handle-out" style={{ left: pct(range.outFrame) }} {...slider("out", "Out point", range.outFrame, frameCount)} />
        <div class="playhead" style={{ left: pct(frame) }} {...slider("playhead", "Playhead", frame, frameCount - 1)} />
        {hover !== null && (
          <div class="scrub" style={{ left: pct(hover) }} aria-hidden="true" data-testid="scrub-preview">
            {hoverCue && <SpriteTile cue={hoverCue} image={imageOf(hoverCue)} height={72} />}
            <span>{formatTime(timeOfFrame(hover, fps))}</span>
          </div>
        )}
      </div>
    </div>
  );
}

/** One tile of the sprite, scaled to `height` pixels; `fill` stretches the box to its cell. */
function SpriteTile({ cue, image, height, fill }: { cue: SpriteCue; image: string; height: number; fill?: boolean }) {
  const scale = height / cue.h;
  return (
    <div class="tile" style={{ height: `${height}px`, width: fill ? "100%" : `${Math.round(cue.w * scale)}px` }}>
      <div
        style={{
          width: `${cue.w}px`,
          height: `${cue.h}px`,
          backgroundImage: `url("${image}")`,
          backgroundPosition: `-${cue.x}px -${cue.y}px`,
          transform: `scale(${scale})`,
          transformOrigin: "0 0",
        }}
      />
    </div>
  );
}
