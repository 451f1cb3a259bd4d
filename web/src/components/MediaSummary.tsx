import type { MediaInfo } from "../api/types";
import { formatBitrate, formatBytes } from "../lib/format";
import { formatTime } from "../lib/timecode";
import { Facts } from "./common";

/** What probing found, in words. */
export function MediaSummary({ media }: { media: MediaInfo }) {
  const v = media.video;
  const a = media.audio;
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
        ["Audio", a ? `${a.codec}, ${a.sample_rate} Hz, ${a.channels} ch` : "none"],
      ]}
    />
  );
}
