/** Errors from the API and the network, and how to say them in plain words. */

import type { Problem } from "./types";

/** The API answered with an error status (RFC 9457 problem+json when it could). */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem | null;

  constructor(status: number, problem: Problem | null) {
    super(plainMessage(status, problem));
    this.name = "ApiError";
    this.status = status;
    this.problem = problem;
  }

  /** Per-field messages from a 422 detail such as "renditions.0.height: too small; name: ...". */
  fieldMessages(): Record<string, string> {
    return parseFieldMessages(this.problem?.detail ?? "");
  }
}

/** The request never got an answer: the server is down or the connection dropped. */
export class NetworkError extends Error {
  constructor(message = "Cannot reach the MPR server. Check the connection and try again.") {
    super(message);
    this.name = "NetworkError";
  }
}

const STATUS_WORDS: Record<number, string> = {
  400: "The request was not understood by the server.",
  401: "The API key is missing or was not accepted. Enter a valid API key.",
  403: "This API key is not allowed to do that.",
  404: "That item does not exist (it may have been deleted).",
  409: "That conflicts with the current state of the item.",
  413: "The file or request is too large for the server.",
  415: "The server does not accept that type of file.",
  422: "The server could not accept the request.",
  429: "Too many requests. Wait a moment and try again.",
  503: "The server is busy. Try again in a moment.",
};

/** One sentence a person can act on, with the server's own explanation when it gave one. */
export function plainMessage(status: number, problem: Problem | null): string {
  const base =
    STATUS_WORDS[status] ??
    (status >= 500
      ? `The server had a problem (error ${status}). Try again later.`
      : `The request failed (error ${status}).`);
  const detail = problem?.detail?.trim();
  if (!detail || status === 401) return base;
  return `${base} ${capitalize(detail)}${/[.!?]$/.test(detail) ? "" : "."}`;
}

/** Any thrown value as plain words for the page. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError || err instanceof NetworkError) return err.message;
  if (err instanceof Error && err.message) return err.message;
  return "Something went wrong. Try again.";
}

export function parseFieldMessages(detail: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of detail.split(/;\s+/)) {
    const match = /^([A-Za-z0-9_.]+):\s*(.+)$/.exec(part.trim());
    if (match) out[match[1]] = match[2];
  }
  return out;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
