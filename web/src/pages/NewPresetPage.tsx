import { useState } from "preact/hooks";
import { createPreset } from "../api/endpoints";
import { ApiError } from "../api/errors";
import type { Preset, PresetKind, Rendition, ThumbnailSpec } from "../api/types";
import { ErrorText } from "../components/common";
import { NEW_RENDITION, RenditionFields } from "../components/RenditionFields";
import { href, navigate } from "../lib/route";
import { type FieldErrors, isLadder, validatePreset } from "../lib/validation";

const DEFAULT_THUMBNAILS: ThumbnailSpec = {
  interval_seconds: 10,
  width: 640,
  sprite_interval_seconds: 2,
  sprite_tile_width: 160,
  sprite_columns: 10,
};

const THUMB_FIELDS: { key: keyof ThumbnailSpec; label: string }[] = [
  { key: "interval_seconds", label: "Thumbnail every (s)" },
  { key: "width", label: "Thumbnail width (px)" },
  { key: "sprite_interval_seconds", label: "Sprite tile every (s)" },
  { key: "sprite_tile_width", label: "Sprite tile width (px)" },
  { key: "sprite_columns", label: "Sprite columns" },
];

/** Create a custom preset; problems are shown next to the fields they concern. */
export function NewPresetPage() {
  const [name, setName] = useState("");
  const [kind, setKind] = useState<PresetKind>("hls");
  const [description, setDescription] = useState("");
  const [segment, setSegment] = useState(4);
  const [renditions, setRenditions] = useState<Rendition[]>([{ ...NEW_RENDITION }]);
  const [thumbs, setThumbs] = useState<ThumbnailSpec>(DEFAULT_THUMBNAILS);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const preset = (): Preset => ({
    name: name.trim(),
    kind,
    description: description.trim(),
    renditions: kind === "thumbnails" ? [] : renditions.map((r) => ({ ...r, name: r.name.trim() })),
    ...(isLadder(kind) ? { segment_seconds: segment } : {}),
    ...(kind === "thumbnails" ? { thumbnails: thumbs } : {}),
  });

  const submit = async (event: Event) => {
    event.preventDefault();
    const candidate = preset();
    const found = validatePreset(candidate);
    setErrors(found);
    if (Object.keys(found).length) {
      const count = Object.keys(found).length;
      setError(new Error(`The preset is not valid yet: fix the ${count} highlighted field${count > 1 ? "s" : ""}.`));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const created = await createPreset(candidate);
      navigate(href.preset(created.name));
    } catch (err) {
      if (err instanceof ApiError) setErrors(err.fieldMessages());
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const field = (id: string, key: string) => ({
    id,
    "aria-invalid": errors[key] ? true : undefined,
    "aria-describedby": `${id}-msg`,
  });
  const message = (id: string, key: string, hint = "") => (
    <small id={`${id}-msg`} class={errors[key] ? "field-error" : "hint"}>
      {errors[key] ?? hint}
    </small>
  );

  return (
    <section aria-labelledby="new-preset-title">
      <p>
        <a href={href.presets}>← All presets</a>
      </p>
      <h1 id="new-preset-title">New preset</h1>
      <form class="card" onSubmit={submit} noValidate>
        <div class="field-grid">
          <div class="field">
            <label for="preset-name">Name</label>
            <input {...field("preset-name", "name")} value={name} onInput={(e) => setName(e.currentTarget.value)} />
            {message("preset-name", "name", "lower-case letters, digits, . _ -")}
          </div>
          <div class="field">
            <label for="preset-kind">Kind</label>
            <select id="preset-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as PresetKind)}>
              <option value="hls">HLS ladder</option>
              <option value="cmaf">CMAF ladder (HLS and DASH)</option>
              <option value="mp4">MP4 file</option>
              <option value="thumbnails">Thumbnails and sprite</option>
            </select>
          </div>
          <div class="field wide">
            <label for="preset-description">Description</label>
            <input id="preset-description" value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
          </div>
          {isLadder(kind) && (
            <div class="field">
              <label for="preset-segment">Segment length (s)</label>
              <input
                {...field("preset-segment", "segment_seconds")}
                type="number"
                value={Number.isNaN(segment) ? "" : segment}
                onInput={(e) => setSegment(e.currentTarget.value === "" ? Number.NaN : Number(e.currentTarget.value))}
              />
              {message("preset-segment", "segment_seconds", "1 to 30")}
            </div>
          )}
        </div>
        {kind !== "thumbnails" && (
          <fieldset>
            <legend>Renditions</legend>
            {errors.renditions && (
              <p class="field-error" role="alert">
                {errors.renditions}
              </p>
            )}
            {renditions.map((r, i) => (
              <div class="rendition" key={i}>
                <RenditionFields
                  idPrefix={`rendition-${i}`}
                  value={r}
                  errors={errors}
                  errorPrefix={`renditions.${i}.`}
                  onChange={(value) => setRenditions(renditions.map((old, j) => (j === i ? value : old)))}
                />
                {renditions.length > 1 && (
                  <button type="button" onClick={() => setRenditions(renditions.filter((_, j) => j !== i))}>
                    Remove rendition {r.name || i + 1}
                  </button>
                )}
              </div>
            ))}
            {isLadder(kind) && (
              <button
                type="button"
                onClick={() => setRenditions([...renditions, { ...NEW_RENDITION, name: `r${renditions.length + 1}` }])}
              >
                Add rendition
              </button>
            )}
          </fieldset>
        )}
        {kind === "thumbnails" && (
          <fieldset>
            <legend>Thumbnails</legend>
            <div class="field-grid">
              {THUMB_FIELDS.map(({ key, label }) => {
                const id = `thumb-${key}`;
                const errKey = `thumbnails.${key}`;
                return (
                  <div class="field" key={key}>
                    <label for={id}>{label}</label>
                    <input
                      {...field(id, errKey)}
                      type="number"
                      value={Number.isNaN(thumbs[key]) ? "" : thumbs[key]}
                      onInput={(e) =>
                        setThumbs({ ...thumbs, [key]: e.currentTarget.value === "" ? Number.NaN : Number(e.currentTarget.value) })
                      }
                    />
                    {message(id, errKey)}
                  </div>
                );
              })}
            </div>
          </fieldset>
        )}
        <ErrorText error={error} />
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>
            {busy ? "Saving…" : "Create preset"}
          </button>
        </div>
      </form>
    </section>
  );
}
