/**
 * Keep a job live: its Server-Sent Events while they arrive, polling otherwise. The stream
 * is given up when it fails, or when it delivers nothing within `graceMs`: API Gateway
 * buffers a Lambda's response, so in the cloud no event arrives before the job ends.
 */

import type { Job } from "../api/types";

export const STREAM_GRACE_MS = 4000;
export const POLL_MS = 2000;

export type LiveMode = "stream" | "polling";

export interface LiveOptions {
  /** Reads the stream, calling `onJob` per event; settles when it ends or is aborted. */
  follow: (onJob: (job: Job) => void, signal: AbortSignal) => Promise<void>;
  /** Reads the job once. */
  refresh: () => void;
  onJob: (job: Job) => void;
  onMode: (mode: LiveMode) => void;
  graceMs?: number;
  pollMs?: number;
}

/** Starts following; returns the function that stops it. */
export function keepLive(options: LiveOptions): () => void {
  const { follow, refresh, onJob, onMode, graceMs = STREAM_GRACE_MS, pollMs = POLL_MS } = options;
  const stream = new AbortController();
  let stopped = false;
  let polling: ReturnType<typeof setInterval> | undefined;
  const poll = () => {
    if (stopped || polling !== undefined) return;
    clearTimeout(grace);
    stream.abort();
    onMode("polling");
    refresh();
    polling = setInterval(refresh, pollMs);
  };
  const grace = setTimeout(poll, graceMs);
  onMode("stream");
  follow((job) => {
    if (stopped || polling !== undefined) return;
    clearTimeout(grace);
    onJob(job);
  }, stream.signal)
    .then(() => {
      if (stopped || polling !== undefined) return;
      clearTimeout(grace);
      refresh(); // the stream ends with the job: read it once more in case the last event was missed
    })
    .catch(poll);
  return () => {
    stopped = true;
    clearTimeout(grace);
    clearInterval(polling);
    stream.abort();
  };
}
