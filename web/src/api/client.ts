/** A small fetch wrapper: API key header, JSON bodies, problem+json errors. */

import { isApiUrl } from "./config";
import { ApiError, NetworkError } from "./errors";
import type { Problem } from "./types";

const KEY_STORAGE = "mpr.apiKey";
export const AUTH_REQUIRED_EVENT = "mpr:auth-required";

export function getApiKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function setApiKey(key: string | null): void {
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);
}

/** The API key header, for URLs on the API's origin only (never presigned storage URLs). */
export function authHeaders(url: string): Record<string, string> {
  const key = getApiKey();
  return key && isApiUrl(url) ? { "X-API-Key": key } : {};
}

export async function readProblem(response: Response): Promise<Problem | null> {
  try {
    const body: unknown = await response.json();
    if (body && typeof body === "object" && "detail" in body) return body as Problem;
  } catch {
    // not JSON: the status alone explains it
  }
  return null;
}

export async function request<T>(method: string, url: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json", ...authHeaders(url) };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new NetworkError();
  }
  if (!response.ok) {
    if (response.status === 401) window.dispatchEvent(new Event(AUTH_REQUIRED_EVENT));
    throw new ApiError(response.status, await readProblem(response));
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const get = <T>(url: string) => request<T>("GET", url);
export const post = <T>(url: string, body?: unknown) => request<T>("POST", url, body);
export const del = <T>(url: string) => request<T>("DELETE", url);
