import type { Output, QCResult } from "../api/types";
import { formatSeconds } from "../lib/format";
import { protocolOf, streamsOf } from "../lib/manifests";
import { trackLabel } from "../lib/tracks";
import { StreamPlayer } from "./StreamPlayer";

const STREAM_KINDS: Record<string, string> = { hls: "HLS", cmaf: "CMAF" };

/** Play streams (DASH and HLS), download MP4s, see thumbnails and the sprite; QC per output. */
export function Outputs({ outputs }: { outputs: Output[] }) {
  const streams = streamsOf(outputs);
  // MP4s and audio-only M4As (an audio rendition of a ladder is a playlist, not a file)
  const files = outputs.filter((o) => (o.kind === "mp4" || o.kind === "audio") && o.url && !protocolOf(o.path));
  const images = outputs.filter((o) => (o.kind === "thumbnails" || o.kind === "sprite") && o.url);
  return (
    <section class="card" aria-labelledby="outputs-title">
      <h2 id="outputs-title">Outputs</h2>
      {streams.map((stream) => {
        const own = outputs.filter((o) => o.preset === stream.preset && o.kind !== "captions");
        const top = own.filter((o) => stream.manifests.some((m) => m.path === o.path));
        const rungs = own.filter((o) => o.rendition !== null && !top.includes(o) && o.url);
        return (
          <div key={stream.preset} class="output" data-testid={`stream-${stream.preset}`}>
            <h3>
              {stream.preset} <span class="hint">{STREAM_KINDS[top[0]?.kind] ?? "stream"}</span>
            </h3>
            <StreamPlayer stream={stream} title={`Output ${stream.preset}`} />
            {top.map((o) => (
              <QC key={o.path} qc={o.qc} />
            ))}
            <ul class="downloads">
              {rungs.map((r) => (
                <li key={r.path}>
                  <a href={r.url!}>{r.kind === "audio" ? `Audio · ${trackLabel(r.label, r.language, 1)}` : r.rendition}</a>{" "}
                  <span class="hint">{describe(r)}</span>
                  <QC qc={r.qc} />
                </li>
              ))}
            </ul>
          </div>
        );
      })}
      {files.length > 0 && (
        <div class="output">
          <h3>Downloads</h3>
          <ul class="downloads">
            {files.map((o) => (
              <li key={o.path}>
                <a href={o.url!} download={o.path.split("/").pop()} data-testid={`${o.kind}-download`}>
                  {o.preset}
                  {o.rendition ? ` · ${o.rendition}` : ""} ({o.kind === "audio" ? "M4A" : "MP4"})
                </a>{" "}
                <span class="hint">{describe(o)}</span>
                <QC qc={o.qc} />
              </li>
            ))}
          </ul>
        </div>
      )}
      {images.length > 0 && (
        <div class="output">
          <h3>Thumbnails</h3>
          {images.map((o) => {
            const pictures = o.images.length ? o.images : [o.url!];
            const label = o.kind === "sprite" ? "Sprite sheet" : "Thumbnail";
            return (
              <div key={o.path}>
                <p class="hint" data-testid={`${o.kind}-count`}>
                  {pictures.length} {o.kind === "sprite" ? "sprite sheet" : "thumbnail"}
                  {pictures.length === 1 ? "" : "s"}
                  {o.kind === "sprite" && (
                    <>
                      {" · "}
                      <a href={o.url!}>WebVTT</a>
                    </>
                  )}
                </p>
                <ul class="thumbs" data-testid={`${o.kind}-gallery`}>
                  {pictures.map((url, i) => (
                    <li key={url}>
                      <a href={url} download={fileName(url)}>
                        {isImage(url) ? (
                          <img src={url} alt={`${label} ${i + 1} of ${o.preset}`} loading="lazy" />
                        ) : (
                          `Download ${o.kind} (${o.path})`
                        )}
                      </a>
                    </li>
                  ))}
                </ul>
              </div>
            );
          })}
        </div>
      )}
    </section>
  );
}

function describe(o: Output): string {
  if (o.kind === "audio") return formatSeconds(o.duration);
  const size = o.width && o.height ? `${o.width}×${o.height} · ` : "";
  return `${size}${formatSeconds(o.duration)} · ${o.frames ?? "?"} frames`;
}

function fileName(url: string): string {
  return new URL(url, location.href).pathname.split("/").pop() ?? "";
}

function isImage(url: string): boolean {
  return /\.(jpe?g|png|webp)(\?|$)/i.test(new URL(url, location.href).pathname);
}

export function QC({ qc }: { qc: QCResult | null }) {
  if (!qc) return null;
  return (
    <details class={`qc ${qc.passed ? "qc-pass" : "qc-fail"}`}>
      <summary>Quality check: {qc.passed ? "passed" : "FAILED"}</summary>
      <ul>
        {(qc.checks ?? []).map((c) => (
          <li key={c.name}>
            {c.passed ? "✓" : "✗"} {c.name}
            {c.expected != null && ` — expected ${c.expected}, got ${c.actual ?? "?"}`}
            {c.detail && ` (${c.detail})`}
          </li>
        ))}
      </ul>
    </details>
  );
}
