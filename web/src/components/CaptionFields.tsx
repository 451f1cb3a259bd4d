import { useEffect, useRef } from "preact/hooks";
import { describeError } from "../api/errors";
import { CAPTION_EXTENSIONS, type CaptionEntry, type CaptionState, isCaptionFile, uploadCaptions } from "../lib/captions";
import type { FieldErrors } from "../lib/validation";

interface Props {
  entries: CaptionEntry[];
  errors: FieldErrors;
  onChange: (update: (entries: CaptionEntry[]) => CaptionEntry[]) => void;
}

let nextKey = 1;

/** "Add captions": caption files uploaded as they are picked, with language, label, default, forced. */
export function CaptionFields({ entries, errors, onChange }: Props) {
  const aborts = useRef(new Map<number, AbortController>());
  useEffect(() => () => aborts.current.forEach((a) => a.abort()), []);

  const setState = (key: number, state: CaptionState) =>
    onChange((list) => list.map((e) => (e.key === key ? { ...e, state } : e)));
  const edit = (key: number, change: Partial<CaptionEntry>) =>
    onChange((list) => list.map((e) => (e.key === key ? { ...e, ...change } : e)));

  const add = (file: File) => {
    const key = nextKey++;
    const abort = new AbortController();
    aborts.current.set(key, abort);
    const entry: CaptionEntry = { key, file, state: { step: "sending" }, language: "", label: "", default: false, forced: false };
    onChange((list) => [...list, entry]);
    if (!isCaptionFile(file.name)) {
      setState(key, { step: "invalid", message: `${file.name}: choose an SRT (.srt) or WebVTT (.vtt) file.` });
      return;
    }
    uploadCaptions(file, abort.signal)
      .then((state) => state && setState(key, state))
      .catch((error: unknown) => !abort.signal.aborted && setState(key, { step: "failed", error }));
  };

  const remove = (key: number) => {
    aborts.current.get(key)?.abort();
    aborts.current.delete(key);
    onChange((list) => list.filter((e) => e.key !== key));
  };

  return (
    <fieldset>
      <legend>Captions</legend>
      {entries.map((entry, i) => {
        const id = `caption-${entry.key}`;
        const languageError = errors[`captions.${i}.language`];
        return (
          <div class="caption-entry" key={entry.key} role="group" aria-label={`Captions ${entry.file.name}`}>
            <p>
              <strong>{entry.file.name}</strong> <CaptionStatus state={entry.state} />
            </p>
            <div class="field-grid">
              <div class="field">
                <label for={`${id}-language`}>Language</label>
                <input
                  id={`${id}-language`}
                  type="text"
                  value={entry.language}
                  aria-invalid={languageError ? true : undefined}
                  aria-describedby={`${id}-language-msg`}
                  onInput={(e) => edit(entry.key, { language: e.currentTarget.value })}
                />
                <small id={`${id}-language-msg`} class={languageError ? "field-error" : "hint"}>
                  {languageError ?? "BCP 47 tag, e.g. en or pt-BR"}
                </small>
              </div>
              <div class="field">
                <label for={`${id}-label`}>Label</label>
                <input
                  id={`${id}-label`}
                  type="text"
                  maxLength={100}
                  value={entry.label}
                  onInput={(e) => edit(entry.key, { label: e.currentTarget.value })}
                />
                <small class="hint">name shown in players</small>
              </div>
            </div>
            <label>
              <input type="checkbox" checked={entry.default} onChange={() => edit(entry.key, { default: !entry.default })} />{" "}
              Default
            </label>{" "}
            <label>
              <input type="checkbox" checked={entry.forced} onChange={() => edit(entry.key, { forced: !entry.forced })} />{" "}
              Forced
            </label>
            <div class="actions">
              <button type="button" onClick={() => remove(entry.key)}>
                Remove {entry.file.name}
              </button>
            </div>
          </div>
        );
      })}
      <label class="button">
        Add captions
        <input
          type="file"
          class="visually-hidden"
          accept={CAPTION_EXTENSIONS.join(",")}
          onChange={(e) => {
            const file = e.currentTarget.files?.[0];
            e.currentTarget.value = "";
            if (file) add(file);
          }}
        />
      </label>{" "}
      <span class="hint">an SRT or WebVTT file (UTF-8)</span>
    </fieldset>
  );
}

function CaptionStatus({ state }: { state: CaptionState }) {
  if (state.step === "sending") return <span class="hint">Uploading and checking…</span>;
  if (state.step === "ready") return <span class="hint">checked: ready</span>;
  return (
    <span class="error" role="alert">
      Cannot use this file: {state.step === "invalid" ? state.message : describeError(state.error)}
    </span>
  );
}
