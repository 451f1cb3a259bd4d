import { listPresets } from "../api/endpoints";
import { ErrorText, useAsync } from "../components/common";
import { href } from "../lib/route";

/** Every preset: built in and custom. */
export function PresetsPage() {
  const presets = useAsync(listPresets, []);
  return (
    <section aria-labelledby="presets-title">
      <div class="title-row">
        <h1 id="presets-title">Presets</h1>
        <a class="button primary" href={href.newPreset}>
          New preset
        </a>
      </div>
      <ErrorText error={presets.error} />
      {presets.loading && !presets.data && <p>Loading…</p>}
      <ul class="preset-list">
        {(presets.data ?? []).map((p) => (
          <li key={p.name} class="card">
            <a href={href.preset(p.name)}>
              <strong>{p.name}</strong>
            </a>{" "}
            <span class="badge">{p.kind}</span>
            <p class="hint">{p.description || "No description."}</p>
            {p.renditions.length > 0 && (
              <p class="hint">{p.renditions.map((r) => `${r.name === `${r.height}p` ? r.name : `${r.name} (${r.height}p)`} ≤ ${r.max_bitrate_kbps} kb/s`).join(" · ")}</p>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
