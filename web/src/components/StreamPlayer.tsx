import { useEffect, useId, useRef, useState } from "preact/hooks";
import { initialManifest, type Manifest, type Stream } from "../lib/manifests";
import { EMPTY_STATE, type Engine, type PlayerState } from "../lib/players/engine";
import { activeId, type MenuTrack, type Quality } from "../lib/tracks";

const NAMES = { dash: "DASH", hls: "HLS" } as const;

/** Plays a stream: DASH with Shaka Player, HLS with hls.js (each loaded on demand); for a
 * CMAF output with both manifests, a menu switches between them. */
export function StreamPlayer({ stream, title }: { stream: Stream; title: string }) {
  const [manifest, setManifest] = useState(() => initialManifest(stream, "MediaSource" in window));
  const id = useId();
  return (
    <div class="stream">
      {stream.manifests.length > 1 && (
        <div class="field inline">
          <label for={`${id}-manifest`}>Manifest</label>
          <select
            id={`${id}-manifest`}
            value={manifest.protocol}
            onChange={(e) => setManifest(stream.manifests.find((m) => m.protocol === e.currentTarget.value)!)}
          >
            {stream.manifests.map((m) => (
              <option key={m.protocol} value={m.protocol}>
                {NAMES[m.protocol]} ({m.path.split("/").pop()})
              </option>
            ))}
          </select>
        </div>
      )}
      <Playback key={manifest.protocol} manifest={manifest} title={`${title} (${NAMES[manifest.protocol]})`} />
    </div>
  );
}

/** The media element keeps the library's player as `player`, for scripts that inspect playback. */
type PlayerHost = HTMLVideoElement & { player?: unknown };

function Playback({ manifest, title }: { manifest: Manifest; title: string }) {
  const video = useRef<HTMLVideoElement>(null);
  const engine = useRef<Engine | null>(null);
  const [state, setState] = useState<PlayerState>(EMPTY_STATE);
  const [quality, setQuality] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const id = useId();

  useEffect(() => {
    const v: PlayerHost = video.current!;
    let cancelled = false;
    const events = { state: setState, error: setError };
    // loaded on demand: each library is most of the bundle and only the job page needs it
    const start =
      manifest.protocol === "dash"
        ? import("../lib/players/dash").then(({ startDash }) => startDash)
        : import("../lib/players/hls").then(({ startHls }) => startHls);
    void start.then((begin) => {
      if (cancelled) return;
      engine.current = begin(v, manifest.url, events);
      v.player = engine.current?.player;
    });
    return () => {
      cancelled = true;
      engine.current?.destroy();
      engine.current = null;
      delete v.player;
    };
  }, [manifest]);

  const chooseQuality = (value: number | null) => {
    setQuality(value);
    engine.current?.selectQuality(value);
  };
  const playing = state.qualities.find((q) => q.id === state.playing);

  return (
    <div class="hls">
      <video ref={video} controls playsInline muted aria-label={title} data-testid={`${manifest.protocol}-video`} />
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="player-menus">
        {state.qualities.length > 0 && (
          <div class="field inline">
            <label for={`${id}-rendition`}>Rendition</label>
            <select
              id={`${id}-rendition`}
              value={quality ?? ""}
              onChange={(e) => chooseQuality(e.currentTarget.value === "" ? null : Number(e.currentTarget.value))}
            >
              <option value="">Auto{playing ? ` (${playing.height}p)` : ""}</option>
              {state.qualities.map((q) => (
                <option key={q.id} value={q.id}>
                  {qualityLabel(q)}
                </option>
              ))}
            </select>
          </div>
        )}
        {state.audio.length > 1 && (
          <TrackMenu
            id={`${id}-audio`}
            label="Audio"
            tracks={state.audio}
            onChange={(track) => track !== null && engine.current?.selectAudio(track)}
          />
        )}
        {state.captions.length > 0 && (
          <TrackMenu
            id={`${id}-captions`}
            label="Captions"
            tracks={state.captions}
            off="Off"
            onChange={(track) => engine.current?.selectCaptions(track)}
          />
        )}
      </div>
    </div>
  );
}

function qualityLabel(q: Quality): string {
  return `${q.height}p · ${Math.round(q.bitrate / 1000)} kb/s`;
}

interface TrackMenuProps {
  id: string;
  label: string;
  tracks: MenuTrack[];
  /** the label of a "none" choice, if there is one */
  off?: string;
  onChange(track: number | null): void;
}

/** A menu of audio or caption tracks showing the one the player has active. */
function TrackMenu({ id, label, tracks, off, onChange }: TrackMenuProps) {
  const active = activeId(tracks);
  return (
    <div class="field inline">
      <label for={id}>{label}</label>
      <select
        id={id}
        value={active ?? ""}
        onChange={(e) => onChange(e.currentTarget.value === "" ? null : Number(e.currentTarget.value))}
      >
        {off !== undefined && <option value="">{off}</option>}
        {tracks.map((t) => (
          <option key={t.id} value={t.id} lang={t.language || undefined}>
            {t.label}
          </option>
        ))}
      </select>
    </div>
  );
}
