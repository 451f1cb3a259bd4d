/**
 * Caption files attached to a job in the form: each is uploaded with purpose "captions",
 * checked by the server as SRT/WebVTT, and sent with the job once READY.
 */

import { createUpload } from "../api/endpoints";
import type { CaptionRequest, Upload } from "../api/types";
import { sendFile, waitUntilChecked } from "./upload";
import type { FieldErrors } from "./validation";

export const CAPTION_EXTENSIONS = [".srt", ".vtt"];

/** The API's characters of a language tag (core/captions.py `_TAG_CHARS`). */
const TAG_CHARS = /^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$/;
/** A registered primary language subtag has 2 or 3 letters; `i-` and `x-` start the others. */
const PRIMARY = /^(?:[A-Za-z]{2,3}|[iIxX])(?:-|$)/;

export type CaptionState =
  | { step: "sending" }
  | { step: "ready"; upload: Upload }
  | { step: "invalid"; message: string }
  | { step: "failed"; error: unknown };

export interface CaptionEntry {
  key: number;
  file: File;
  state: CaptionState;
  language: string;
  label: string;
  default: boolean;
  forced: boolean;
}

/** The API's reason for a tag that cannot be BCP 47 (its registry check stays with the API). */
export function languageProblem(tag: string): string | null {
  if (!tag) return "A language is required (a BCP 47 tag, e.g. 'en', 'pt-BR').";
  if (TAG_CHARS.test(tag) && PRIMARY.test(tag)) return null;
  return `language '${tag}' is not a BCP 47 language tag (e.g. 'en', 'pt-BR')`;
}

export function isCaptionFile(name: string): boolean {
  const lower = name.toLowerCase();
  return CAPTION_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/** Errors of each entry, keyed `captions.<index>.<field>` as the API's 422 detail names them. */
export function validateCaptions(entries: CaptionEntry[]): FieldErrors {
  const errors: FieldErrors = {};
  entries.forEach((entry, i) => {
    const language = languageProblem(entry.language.trim());
    if (language) errors[`captions.${i}.language`] = language;
    if (entry.state.step === "sending") errors[`captions.${i}.source`] = "The file is still being checked.";
    else if (entry.state.step === "invalid") errors[`captions.${i}.source`] = entry.state.message;
    else if (entry.state.step === "failed") errors[`captions.${i}.source`] = "The file could not be uploaded.";
  });
  return errors;
}

/** The job body's `captions`: every entry, which must all be READY (see validateCaptions). */
export function captionRequests(entries: CaptionEntry[]): CaptionRequest[] {
  return entries.flatMap((entry) => {
    if (entry.state.step !== "ready") return [];
    const label = entry.label.trim();
    return [
      {
        source: { upload_id: entry.state.upload.upload_id },
        language: entry.language.trim(),
        ...(label ? { label } : {}),
        default: entry.default,
        forced: entry.forced,
      },
    ];
  });
}

/** Upload `file` as captions and wait for the server's check: READY or INVALID with the line. */
export async function uploadCaptions(file: File, signal: AbortSignal): Promise<CaptionState | null> {
  const ticket = await createUpload(file, "captions");
  await sendFile(ticket, file, { signal, onProgress: () => undefined });
  const upload = await waitUntilChecked(ticket.upload_id, signal);
  if (!upload) return null;
  if (upload.status === "READY") return { step: "ready", upload };
  return { step: "invalid", message: upload.error ?? "it is not an SRT or WebVTT file." };
}
