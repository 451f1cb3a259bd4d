import type { MediaInfo } from "../api/types";
import { formatAudioTrack, formatBitrate, formatBytes } from "../lib/format";
import { formatTime } from "../lib/timecode";
import { Facts } from "./common";

/** What probing found, in words. */
export function MediaSummary({ media }: { media: MediaInfo }) {
  const v = media.video;
  const audio = media.audio ? [media.audio, ...(media.other_audio ?? [])] : [];
  return (
    <Facts
      items={[
        ["Duration", formatTime(media.duration)],
        ["Container", media.format_name],
        ["Size", formatBytes(media.size_bytes)],
        ["Bit rate", formatBitrate(media.bit_rate)],
        [
          "Video",
          `${v.codec}, ${v.display_width}×${v.display_height}${v.rotation ? ` (rotated ${v.rotation}°)` : ""}`,
        ],
        [
          "Frame rate",
          `${Number(v.fps.toFixed(3))} fps${v.variable_frame_rate ? " (variable)" : ""}, ${v.frame_count} frames`,
        ],
        ["Audio", audio.length ? audio.map(formatAudioTrack).join("; ") : "none"],
      ]}
    />
  );
}
