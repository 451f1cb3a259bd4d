import type { Output, QCResult } from "../api/types";
import { formatSeconds } from "../lib/format";
import { HlsPlayer } from "./HlsPlayer";

/** Play HLS, download MP4s, see thumbnails and the sprite; QC per output. */
export function Outputs({ outputs }: { outputs: Output[] }) {
  const hlsAll = outputs.filter((o) => o.kind === "hls" && o.url);
  // a ladder has one master playlist (no rendition) and one record per rung
  const masters = hlsAll.filter((o) => o.rendition === null);
  const hls = masters.length ? masters : hlsAll;
  const files = outputs.filter((o) => o.kind === "mp4" && o.url);
  const images = outputs.filter((o) => (o.kind === "thumbnails" || o.kind === "sprite") && o.url);
  return (
    <section class="card" aria-labelledby="outputs-title">
      <h2 id="outputs-title">Outputs</h2>
      {hls.map((o) => (
        <div key={o.path} class="output">
          <h3>
            {o.preset} <span class="hint">HLS</span>
          </h3>
          <HlsPlayer src={o.url!} title={`HLS output ${o.preset}`} />
          <QC qc={o.qc} />
          <ul class="downloads">
            {hlsAll
              .filter((r) => r.preset === o.preset && r.rendition !== null && r !== o)
              .map((r) => (
                <li key={r.path}>
                  <a href={r.url!}>{r.rendition}</a> <span class="hint">{describe(r)}</span>
                  <QC qc={r.qc} />
                </li>
              ))}
          </ul>
        </div>
      ))}
      {files.length > 0 && (
        <div class="output">
          <h3>Downloads</h3>
          <ul class="downloads">
            {files.map((o) => (
              <li key={o.path}>
                <a href={o.url!} download={o.path.split("/").pop()} data-testid="mp4-download">
                  {o.preset}
                  {o.rendition ? ` · ${o.rendition}` : ""} (MP4)
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
          <ul class="thumbs">
            {images.map((o) => (
              <li key={o.path}>
                <a href={o.url!} download={o.path.split("/").pop()}>
                  {isImage(o.url!) ? (
                    <img src={o.url!} alt={`${o.kind === "sprite" ? "Sprite" : "Thumbnail"} ${o.path}`} loading="lazy" />
                  ) : (
                    `Download ${o.kind} (${o.path})`
                  )}
                </a>
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}

function describe(o: Output): string {
  const size = o.width && o.height ? `${o.width}×${o.height} · ` : "";
  return `${size}${formatSeconds(o.duration)} · ${o.frames ?? "?"} frames`;
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
