import { getPreset } from "../api/endpoints";
import { ErrorText, Facts, useAsync } from "../components/common";
import { href } from "../lib/route";
import { isLadder } from "../lib/validation";

/** One preset in detail. */
export function PresetPage({ name }: { name: string }) {
  const preset = useAsync(() => getPreset(name), [name]);
  const p = preset.data;
  return (
    <section aria-labelledby="preset-title">
      <p>
        <a href={href.presets}>← All presets</a>
      </p>
      <h1 id="preset-title">{name}</h1>
      <ErrorText error={preset.error} />
      {p && (
        <>
          <div class="card">
            <Facts
              items={[
                ["Kind", p.kind],
                ["Description", p.description || "–"],
                ...(isLadder(p.kind) ? ([["Segment length", `${p.segment_seconds ?? 4} s`]] as [string, string][]) : []),
                ["Never upscale", p.cap_to_source === false ? "no" : "yes"],
              ]}
            />
          </div>
          {p.renditions.length > 0 && (
            <div class="card">
              <h2>Renditions</h2>
              <div class="table-scroll">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Height</th>
                      <th scope="col">CRF</th>
                      <th scope="col">Max kb/s</th>
                      <th scope="col">Profile</th>
                    </tr>
                  </thead>
                  <tbody>
                    {p.renditions.map((r) => (
                      <tr key={r.name}>
                        <td>{r.name}</td>
                        <td>{r.height}</td>
                        <td>{r.crf ?? "–"}</td>
                        <td>{r.max_bitrate_kbps}</td>
                        <td>{r.profile ?? "high"}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </div>
          )}
          {p.thumbnails && (
            <div class="card">
              <h2>Thumbnails</h2>
              <Facts
                items={[
                  ["Every", `${p.thumbnails.interval_seconds} s`],
                  ["Width", `${p.thumbnails.width} px`],
                  ["Sprite tile every", `${p.thumbnails.sprite_interval_seconds} s`],
                  ["Sprite tile width", `${p.thumbnails.sprite_tile_width} px`],
                  ["Sprite columns", String(p.thumbnails.sprite_columns)],
                ]}
              />
            </div>
          )}
          <details class="card">
            <summary>JSON</summary>
            <pre class="json">{JSON.stringify(p, null, 2)}</pre>
          </details>
        </>
      )}
    </section>
  );
}
