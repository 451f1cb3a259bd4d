/** Human-readable sizes, rates, dates and tracks. */

import type { AudioInfo } from "../api/types";

export function formatBytes(bytes: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

export function formatBitrate(bitsPerSecond: number | null | undefined): string {
  if (!bitsPerSecond) return "unknown";
  return bitsPerSecond >= 1e6
    ? `${(bitsPerSecond / 1e6).toFixed(2)} Mb/s`
    : `${Math.round(bitsPerSecond / 1e3)} kb/s`;
}

export function formatSeconds(seconds: number | null | undefined): string {
  return seconds == null ? "–" : `${seconds.toFixed(2)} s`;
}

export function formatDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** An audio track in a few words: codec, rate, channels, then its language and title tags. */
export function formatAudioTrack(a: AudioInfo): string {
  const tags = [a.language, a.title].filter((t) => t && t !== "und").join(", ");
  return `${a.codec}, ${a.sample_rate} Hz, ${a.channels} ch${tags ? ` (${tags})` : ""}`;
}
