/** Frame-accurate time arithmetic for the trim timeline. Frame n starts at n / fps. */

export function frameAt(seconds: number, fps: number): number {
  return Math.floor(seconds * fps + 1e-6);
}

export function timeOfFrame(frame: number, fps: number): number {
  return frame / fps;
}

export function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/** "1:02.480" under an hour, "1:00:02.480" beyond; never negative. */
export function formatTime(seconds: number): string {
  const ms = Math.round(Math.max(0, seconds) * 1000);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const frac = String(ms % 1000).padStart(3, "0");
  const sec = `${String(s).padStart(2, "0")}.${frac}`;
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

/** Spoken form for screen readers, e.g. "2.48 seconds, frame 62". */
export function spokenTime(frame: number, fps: number): string {
  const seconds = Math.round(timeOfFrame(frame, fps) * 100) / 100;
  return `${seconds} seconds, frame ${frame}`;
}

export interface TrimRange {
  /** first frame kept */
  inFrame: number;
  /** first frame after the range (exclusive) */
  outFrame: number;
}

/** Move the in point, keeping at least one frame before the out point. */
export function withIn(range: TrimRange, frame: number): TrimRange {
  return { ...range, inFrame: clamp(frame, 0, range.outFrame - 1) };
}

/** Move the out point, keeping at least one frame after the in point. */
export function withOut(range: TrimRange, frame: number, frameCount: number): TrimRange {
  return { ...range, outFrame: clamp(frame, range.inFrame + 1, frameCount) };
}

/** The API's trim for a range, or undefined when the range is the whole source. */
export function trimOf(
  range: TrimRange,
  fps: number,
  frameCount: number,
): { start: number; end: number } | undefined {
  if (range.inFrame === 0 && range.outFrame >= frameCount) return undefined;
  return {
    start: roundMs(timeOfFrame(range.inFrame, fps)),
    end: roundMs(timeOfFrame(range.outFrame, fps)),
  };
}

function roundMs(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
