/**
 * Sending a file to an upload ticket: one PUT, or PUT per part then "complete".
 * A dropped connection is retried; multipart uploads resume by sending only the parts the
 * server has not received (GET /v1/uploads/{id} -> parts_received).
 */

import { authHeaders, readProblem } from "../api/client";
import { getUpload } from "../api/endpoints";
import { ApiError, NetworkError } from "../api/errors";
import type { Upload, UploadTicket } from "../api/types";

export interface PartSpec {
  partNumber: number;
  url: string;
  start: number;
  end: number;
}

/** Byte ranges of every part, in order. */
export function planParts(ticket: UploadTicket, size: number): PartSpec[] {
  if (!ticket.multipart) return [{ partNumber: 1, url: ticket.url, start: 0, end: size }];
  const { part_size: partSize, parts } = ticket.multipart;
  return [...parts]
    .sort((a, b) => a.part_number - b.part_number)
    .map((p) => ({
      partNumber: p.part_number,
      url: p.url,
      start: (p.part_number - 1) * partSize,
      end: Math.min(size, p.part_number * partSize),
    }));
}

/** Parts still to send, given the part numbers the server already holds. */
export function missingParts(parts: PartSpec[], received: Iterable<number>): PartSpec[] {
  const have = new Set(received);
  return parts.filter((p) => !have.has(p.partNumber));
}

/** Wait before retry `attempt` (1-based): 1 s, 2 s, 4 s ... capped at 8 s. */
export function retryDelayMs(attempt: number): number {
  return Math.min(8000, 1000 * 2 ** (attempt - 1));
}

export interface SendOptions {
  /** bytes confirmed so far and the file size */
  onProgress: (sent: number, total: number) => void;
  /** told before each automatic retry after a network error */
  onRetry?: (attempt: number, delayMs: number) => void;
  /** automatic retries per run before giving up (the caller may resume later) */
  retries?: number;
  signal?: AbortSignal;
}

/** Send whatever the server does not have yet; resolves once the upload is complete. */
export async function sendFile(ticket: UploadTicket, file: Blob, options: SendOptions): Promise<void> {
  const parts = planParts(ticket, file.size);
  const retries = options.retries ?? 3;
  for (let attempt = 0; ; attempt += 1) {
    try {
      const received = ticket.multipart ? (await getUpload(ticket.upload_id)).parts_received : [];
      await sendParts(ticket, file, missingParts(parts, received), options);
      if (ticket.multipart) await completeMultipart(ticket.multipart.complete_url);
      return;
    } catch (err) {
      if (!(err instanceof NetworkError) || attempt >= retries || options.signal?.aborted) {
        throw err;
      }
      const delay = retryDelayMs(attempt + 1);
      options.onRetry?.(attempt + 1, delay);
      await sleep(delay, options.signal);
    }
  }
}

const CHECK_POLL_MS = 1000;

/** Whether the server has finished checking an upload (READY, INVALID or FAILED). */
export function isChecked(upload: Upload): boolean {
  return upload.status === "READY" || upload.status === "INVALID" || upload.status === "FAILED";
}

/** Poll an upload until the server has checked it; null once `signal` aborts. */
export async function waitUntilChecked(id: string, signal: AbortSignal): Promise<Upload | null> {
  for (;;) {
    if (signal.aborted) return null;
    const upload = await getUpload(id);
    if (isChecked(upload)) return upload;
    await sleep(CHECK_POLL_MS, signal);
  }
}

async function sendParts(
  ticket: UploadTicket,
  file: Blob,
  todo: PartSpec[],
  options: SendOptions,
): Promise<void> {
  const total = file.size;
  let done = total - todo.reduce((sum, p) => sum + (p.end - p.start), 0);
  options.onProgress(done, total);
  for (const part of todo) {
    const body = ticket.multipart ? file.slice(part.start, part.end) : file;
    await putBlob(part.url, body, ticket.headers, (loaded) => options.onProgress(done + loaded, total), options.signal);
    done += part.end - part.start;
    options.onProgress(done, total);
  }
}

async function completeMultipart(url: string): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, { method: "POST", headers: authHeaders(url) });
  } catch {
    throw new NetworkError();
  }
  if (!response.ok) throw new ApiError(response.status, await readProblem(response));
}

/** PUT with upload progress (fetch cannot report it); network failures become NetworkError. */
function putBlob(
  url: string,
  body: Blob,
  headers: Record<string, string>,
  onLoaded: (bytes: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    for (const [name, value] of Object.entries({ ...headers, ...authHeaders(url) })) {
      xhr.setRequestHeader(name, value);
    }
    xhr.upload.onprogress = (event) => onLoaded(event.loaded);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve();
      else reject(new ApiError(xhr.status, parseProblem(xhr.responseText)));
    };
    xhr.onerror = () =>
      reject(new NetworkError("The connection dropped while sending the file."));
    xhr.ontimeout = xhr.onerror;
    xhr.onabort = () => reject(new DOMException("Upload cancelled", "AbortError"));
    signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(body);
  });
}

function parseProblem(text: string) {
  try {
    const body = JSON.parse(text) as { title?: string; status?: number; detail?: string };
    return typeof body.detail === "string"
      ? { title: body.title ?? "", status: body.status ?? 0, detail: body.detail }
      : null;
  } catch {
    return null;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
