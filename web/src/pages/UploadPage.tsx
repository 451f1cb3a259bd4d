import { useEffect, useRef, useState } from "preact/hooks";
import { createUpload } from "../api/endpoints";
import { NetworkError } from "../api/errors";
import type { Upload, UploadTicket } from "../api/types";
import { ErrorText, ProgressBar } from "../components/common";
import { DropZone } from "../components/DropZone";
import { MediaSummary } from "../components/MediaSummary";
import { formatBytes } from "../lib/format";
import { sendFile, waitUntilChecked } from "../lib/upload";
import { JobEditor } from "./JobEditor";

type Phase =
  | { step: "pick" }
  | { step: "sending"; retryIn?: number }
  | { step: "paused"; error: unknown }
  | { step: "checking" }
  | { step: "ready"; upload: Upload }
  | { step: "invalid"; message: string }
  | { step: "failed"; error: unknown };

/** Upload a source, see what it is, then trim it and start a job. */
export function UploadPage() {
  const [file, setFile] = useState<File | null>(null);
  const [ticket, setTicket] = useState<UploadTicket | null>(null);
  const [phase, setPhase] = useState<Phase>({ step: "pick" });
  const [sent, setSent] = useState(0);
  const abort = useRef<AbortController | null>(null);

  useEffect(() => () => abort.current?.abort(), []);

  const send = async (theFile: File, theTicket: UploadTicket) => {
    abort.current = new AbortController();
    setPhase({ step: "sending" });
    try {
      await sendFile(theTicket, theFile, {
        signal: abort.current.signal,
        onProgress: (bytes) => setSent(bytes),
        onRetry: (_attempt, delayMs) => setPhase({ step: "sending", retryIn: delayMs / 1000 }),
      });
    } catch (err) {
      if (abort.current.signal.aborted) return;
      setPhase(err instanceof NetworkError ? { step: "paused", error: err } : { step: "failed", error: err });
      return;
    }
    setPhase({ step: "checking" });
    await waitForProbe(theTicket.upload_id, abort.current.signal, setPhase);
  };

  const start = async (picked: File) => {
    setFile(picked);
    setSent(0);
    setTicket(null);
    try {
      setPhase({ step: "sending" });
      const created = await createUpload(picked);
      setTicket(created);
      await send(picked, created);
    } catch (err) {
      setPhase({ step: "failed", error: err });
    }
  };

  const reset = () => {
    abort.current?.abort();
    setFile(null);
    setTicket(null);
    setPhase({ step: "pick" });
  };

  return (
    <section aria-labelledby="upload-title">
      <h1 id="upload-title">New job</h1>
      {phase.step === "pick" && <DropZone onFile={start} />}
      {file && phase.step !== "pick" && (
        <div class="card" aria-live="polite">
          <p>
            <strong>{file.name}</strong> <span class="hint">({formatBytes(file.size)})</span>
          </p>
          {(phase.step === "sending" || phase.step === "paused") && (
            <ProgressBar value={file.size ? (100 * sent) / file.size : 100} label="Upload progress" />
          )}
          {phase.step === "sending" && phase.retryIn !== undefined && (
            <p class="notice">The connection dropped; trying again in {phase.retryIn} s…</p>
          )}
          {phase.step === "paused" && (
            <>
              <ErrorText error={phase.error} />
              <p class="hint">The parts already received are kept; resuming sends only the rest.</p>
              <div class="actions">
                <button type="button" class="primary" onClick={() => ticket && send(file, ticket)}>
                  Resume upload
                </button>
                <button type="button" onClick={reset}>
                  Choose another file
                </button>
              </div>
            </>
          )}
          {phase.step === "checking" && <p>Upload complete. Checking the file…</p>}
          {phase.step === "invalid" && (
            <p class="error" role="alert">
              This file cannot be processed: {phase.message}
            </p>
          )}
          {phase.step === "failed" && <ErrorText error={phase.error} />}
          {(phase.step === "invalid" || phase.step === "failed") && (
            <div class="actions">
              <button type="button" class="primary" onClick={reset}>
                Choose another file
              </button>
            </div>
          )}
        </div>
      )}
      {phase.step === "ready" && phase.upload.media && (
        <>
          <div class="card source-facts">
            {phase.upload.poster_url && (
              <img class="poster" src={phase.upload.poster_url} alt={`Poster frame of ${phase.upload.filename}`} />
            )}
            <MediaSummary media={phase.upload.media} />
          </div>
          <JobEditor upload={phase.upload} media={phase.upload.media} />
        </>
      )}
    </section>
  );
}

async function waitForProbe(id: string, signal: AbortSignal, setPhase: (p: Phase) => void) {
  let upload: Upload | null;
  try {
    upload = await waitUntilChecked(id, signal);
  } catch (err) {
    setPhase({ step: "failed", error: err });
    return;
  }
  if (!upload) return;
  if (upload.status === "READY" && upload.media) setPhase({ step: "ready", upload });
  else setPhase({ step: "invalid", message: upload.error ?? "it is not a video MPR can read." });
}
