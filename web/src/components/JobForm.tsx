import { useState } from "preact/hooks";
import { createJob, listPresets } from "../api/endpoints";
import { ApiError } from "../api/errors";
import type { JobRequest, Rendition } from "../api/types";
import { type CaptionEntry, captionRequests, validateCaptions } from "../lib/captions";
import { href, navigate } from "../lib/route";
import { type FieldErrors, validateRendition } from "../lib/validation";
import { CaptionFields } from "./CaptionFields";
import { ErrorText, useAsync } from "./common";
import { NEW_RENDITION, RenditionFields } from "./RenditionFields";

interface Props {
  uploadId: string;
  trim: { start: number; end: number } | undefined;
}

const DEFAULT_PRESETS = ["hls-ladder", "mp4-720p", "thumbnails"];

/** Choose presets and/or one custom rendition, then start the job. */
export function JobForm({ uploadId, trim }: Props) {
  const presets = useAsync(listPresets, []);
  const [chosen, setChosen] = useState<string[] | null>(null);
  const [custom, setCustom] = useState(false);
  const [rendition, setRendition] = useState<Rendition>(NEW_RENDITION);
  const [captions, setCaptions] = useState<CaptionEntry[]>([]);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const available = presets.data ?? [];
  const selected = chosen ?? available.map((p) => p.name).filter((n) => DEFAULT_PRESETS.includes(n));

  const toggle = (name: string) =>
    setChosen(selected.includes(name) ? selected.filter((n) => n !== name) : [...selected, name]);

  const submit = async (event: Event) => {
    event.preventDefault();
    const trimmed = { ...rendition, name: rendition.name.trim() };
    const renditionErrors = custom ? validateRendition(trimmed) : {};
    const captionErrors = validateCaptions(captions);
    setErrors({ ...renditionErrors, ...captionErrors });
    if (Object.keys(renditionErrors).length) {
      setError(new Error("Fix the highlighted fields of the custom rendition."));
      return;
    }
    if (Object.keys(captionErrors).length) {
      setError(new Error(`Fix the captions first: ${Object.values(captionErrors).join(" ")}`));
      return;
    }
    if (!selected.length && !custom) {
      setError(new Error("Choose at least one preset or add a custom rendition."));
      return;
    }
    const body: JobRequest = { source: { upload_id: uploadId }, presets: selected };
    if (custom) body.renditions = [trimmed];
    if (trim) body.trim = trim;
    if (captions.length) body.captions = captionRequests(captions);
    setBusy(true);
    setError(null);
    try {
      const job = await createJob(body);
      navigate(href.job(job.id));
    } catch (err) {
      if (err instanceof ApiError) setErrors(prefixless(err.fieldMessages()));
      setError(err);
      setBusy(false);
    }
  };

  return (
    <form class="card" aria-labelledby="outputs-title" onSubmit={submit} noValidate>
      <h2 id="outputs-title">Outputs</h2>
      <ErrorText error={presets.error} />
      <fieldset>
        <legend>Presets</legend>
        {presets.loading && !presets.data && <p class="hint">Loading presets…</p>}
        <ul class="choices">
          {available.map((p) => (
            <li key={p.name}>
              <label>
                <input type="checkbox" checked={selected.includes(p.name)} onChange={() => toggle(p.name)} />{" "}
                <strong>{p.name}</strong> <span class="hint">{p.description}</span>
              </label>
            </li>
          ))}
        </ul>
      </fieldset>
      <fieldset>
        <legend>Custom rendition</legend>
        <label>
          <input type="checkbox" checked={custom} onChange={() => setCustom(!custom)} /> Add a custom
          HLS rendition
        </label>
        {custom && (
          <RenditionFields idPrefix="custom" value={rendition} errors={errors} onChange={setRendition} />
        )}
      </fieldset>
      <CaptionFields entries={captions} errors={errors} onChange={setCaptions} />
      <ErrorText error={error} />
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Starting…" : "Start job"}
        </button>
      </div>
    </form>
  );
}

/** "renditions.0.height" -> "height", for the single custom rendition's fields. */
function prefixless(messages: FieldErrors): FieldErrors {
  const out: FieldErrors = {};
  for (const [key, text] of Object.entries(messages)) out[key.replace(/^renditions\.\d+\./, "")] = text;
  return out;
}
