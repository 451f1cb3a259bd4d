/**
 * Where the API is. In the cloud the UI comes from CloudFront and the API from API Gateway:
 * `config.json` beside the UI names the API (`{"apiUrl": "https://…/dev/"}`). Under
 * `mpr serve` there is none, and the API is this page's origin.
 */

export interface UiConfig {
  apiUrl?: string;
}

const SAME_ORIGIN = "/";
let apiBase = SAME_ORIGIN;

/** Read `config.json`; absent, empty or not JSON (`mpr serve` answers with the UI): same origin. */
export async function loadConfig(url = `${import.meta.env.BASE_URL}config.json`): Promise<void> {
  apiBase = SAME_ORIGIN;
  try {
    const response = await fetch(url, { headers: { Accept: "application/json" }, cache: "no-cache" });
    if (!response.ok) return;
    const config = (await response.json()) as UiConfig | null;
    const configured = typeof config?.apiUrl === "string" ? config.apiUrl.trim() : "";
    if (configured) apiBase = configured.endsWith("/") ? configured : `${configured}/`;
  } catch {
    // no usable config: the API is on this origin
  }
}

/** The URL of an API path such as `v1/jobs`. */
export function apiUrl(path: string): string {
  return `${apiBase}${path}`;
}

/** True for URLs on the API's origin: only those get the API key. */
export function isApiUrl(url: string): boolean {
  return new URL(url, location.href).origin === new URL(apiBase, location.href).origin;
}
