import type Hls from "hls.js";
import type { Level } from "hls.js";
import { useEffect, useRef, useState } from "preact/hooks";

interface Props {
  src: string;
  title: string;
}

const AUTO = -1;

/** Plays an HLS master playlist with hls.js (or natively where MSE is missing, as on iOS). */
export function HlsPlayer({ src, title }: Props) {
  const video = useRef<HTMLVideoElement>(null);
  const hls = useRef<Hls | null>(null);
  const [levels, setLevels] = useState<Level[]>([]);
  const [level, setLevel] = useState(AUTO);
  const [playing, setPlaying] = useState(-1);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const v = video.current!;
    let player: Hls | null = null;
    let cancelled = false;
    // loaded on demand: hls.js is most of the bundle and only this page needs it
    void import("hls.js").then(({ default: HlsJs }) => {
      if (cancelled) return;
      if (!HlsJs.isSupported()) {
        if (v.canPlayType("application/vnd.apple.mpegurl")) v.src = src;
        else setError("This browser cannot play HLS video.");
        return;
      }
      player = new HlsJs();
      hls.current = player;
      player.on(HlsJs.Events.MANIFEST_PARSED, (_e, data) => setLevels(data.levels));
      player.on(HlsJs.Events.LEVEL_SWITCHED, (_e, data) => setPlaying(data.level));
      player.on(HlsJs.Events.ERROR, (_e, data) => {
        if (!data.fatal) return;
        setError(
          data.type === HlsJs.ErrorTypes.NETWORK_ERROR
            ? "The video could not be loaded from the server. Reload the page to try again."
            : "The video could not be played in this browser.",
        );
      });
      player.loadSource(src);
      player.attachMedia(v);
    });
    return () => {
      cancelled = true;
      player?.destroy();
      hls.current = null;
    };
  }, [src]);

  const choose = (value: number) => {
    setLevel(value);
    if (hls.current) hls.current.currentLevel = value;
  };

  const label = (l: Level) => `${l.height}p · ${Math.round(l.bitrate / 1000)} kb/s`;

  return (
    <div class="hls">
      <video ref={video} controls playsInline muted aria-label={title} data-testid="hls-video" />
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {levels.length > 0 && (
        <div class="field inline">
          <label for="rendition-select">Rendition</label>
          <select id="rendition-select" value={level} onChange={(e) => choose(Number(e.currentTarget.value))}>
            <option value={AUTO}>Auto{playing >= 0 && levels[playing] ? ` (${levels[playing].height}p)` : ""}</option>
            {levels.map((l, i) => (
              <option key={i} value={i}>
                {label(l)}
              </option>
            ))}
          </select>
        </div>
      )}
    </div>
  );
}
