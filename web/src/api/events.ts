/**
 * A job's Server-Sent Events, read with fetch so the request can carry the X-API-Key header
 * (the browser's EventSource cannot send headers).
 */

import { createParser } from "eventsource-parser";
import { authHeaders, readProblem } from "./client";
import { apiUrl } from "./config";
import { ApiError, NetworkError } from "./errors";
import type { Job } from "./types";

/** Calls `onJob` for every `progress` event; resolves when the server ends the stream. */
export async function followJob(id: string, onJob: (job: Job) => void, signal: AbortSignal): Promise<void> {
  const url = apiUrl(`v1/jobs/${encodeURIComponent(id)}/events`);
  let response: Response;
  try {
    response = await fetch(url, { headers: { Accept: "text/event-stream", ...authHeaders(url) }, signal });
  } catch {
    if (signal.aborted) return;
    throw new NetworkError();
  }
  if (!response.ok || !response.body) throw new ApiError(response.status, await readProblem(response));
  const parser = createParser({
    onEvent: (event) => {
      if (event.event === "progress") onJob(JSON.parse(event.data) as Job);
    },
  });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      parser.feed(value);
    }
  } catch {
    if (!signal.aborted) throw new NetworkError("The live progress stream was interrupted.");
  }
}
