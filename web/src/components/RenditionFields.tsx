import type { Rendition } from "../api/types";
import type { FieldErrors } from "../lib/validation";

interface Props {
  idPrefix: string;
  value: Rendition;
  errors: FieldErrors;
  /** key prefix of this rendition's errors, e.g. "renditions.0." */
  errorPrefix?: string;
  onChange: (value: Rendition) => void;
}

const FIELDS: { key: keyof Rendition; label: string; numeric: boolean; hint?: string }[] = [
  { key: "name", label: "Name", numeric: false, hint: "e.g. 540p" },
  { key: "height", label: "Height (px)", numeric: true, hint: "16 to 4320" },
  { key: "crf", label: "Quality (CRF)", numeric: true, hint: "0 (best) to 51" },
  { key: "max_bitrate_kbps", label: "Max bit rate (kb/s)", numeric: true, hint: "50 to 100000" },
];

export const NEW_RENDITION: Rendition = { name: "540p", height: 540, crf: 22, max_bitrate_kbps: 2000 };

/** The editable fields of one video rendition, with a message under each invalid one. */
export function RenditionFields({ idPrefix, value, errors, errorPrefix = "", onChange }: Props) {
  return (
    <div class="field-grid">
      {FIELDS.map(({ key, label, numeric, hint }) => {
        const id = `${idPrefix}-${key}`;
        const error = errors[`${errorPrefix}${key}`];
        return (
          <div class="field" key={key}>
            <label for={id}>{label}</label>
            <input
              id={id}
              type={numeric ? "number" : "text"}
              inputMode={numeric ? "numeric" : undefined}
              value={value[key] ?? ""}
              aria-invalid={error ? true : undefined}
              aria-describedby={`${id}-msg`}
              onInput={(e) => {
                const raw = e.currentTarget.value;
                onChange({ ...value, [key]: numeric ? (raw === "" ? Number.NaN : Number(raw)) : raw });
              }}
            />
            <small id={`${id}-msg`} class={error ? "field-error" : "hint"}>
              {error ?? hint}
            </small>
          </div>
        );
      })}
    </div>
  );
}
