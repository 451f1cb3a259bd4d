import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { authHeaders, setApiKey } from "./client";
import { apiUrl, isApiUrl, loadConfig } from "./config";

const UI = "https://d111111abcdef8.cloudfront.net/ui/";
const API = "https://abc123.execute-api.eu-west-1.amazonaws.com/dev/";

function answer(body: string, status = 200, type = "application/json") {
  return vi.fn(async () => new Response(body, { status, headers: { "Content-Type": type } }));
}

beforeEach(() => {
  const stored = new Map<string, string>();
  vi.stubGlobal("location", new URL(UI));
  vi.stubGlobal("sessionStorage", {
    getItem: (k: string) => stored.get(k) ?? null,
    setItem: (k: string, v: string) => void stored.set(k, v),
    removeItem: (k: string) => void stored.delete(k),
  });
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("the API's location", () => {
  it("comes from config.json beside the UI, and the key goes to that origin only", async () => {
    const fetch = answer(JSON.stringify({ apiUrl: API }));
    vi.stubGlobal("fetch", fetch);
    await loadConfig("/ui/config.json");
    expect(fetch).toHaveBeenCalledWith("/ui/config.json", expect.anything());
    expect(apiUrl("v1/jobs")).toBe(`${API}v1/jobs`);

    setApiKey("mpr_test_key");
    expect(authHeaders(apiUrl("v1/jobs"))).toEqual({ "X-API-Key": "mpr_test_key" });
    expect(isApiUrl(`${UI}index.html`)).toBe(false);
    const presigned = "https://mpr-in.s3.eu-west-1.amazonaws.com/input/a.mp4?X-Amz-Signature=x";
    expect(authHeaders(presigned)).toEqual({});
  });

  it("adds the slash an apiUrl lacks", async () => {
    vi.stubGlobal("fetch", answer(JSON.stringify({ apiUrl: API.slice(0, -1) })));
    await loadConfig();
    expect(apiUrl("v1/presets")).toBe(`${API}v1/presets`);
  });

  it.each([
    ["absent", answer("not found", 404, "text/plain")],
    ["the UI itself (mpr serve answers index.html)", answer("<!doctype html>", 200, "text/html")],
    ["empty", answer("{}")],
    ["an empty apiUrl", answer(JSON.stringify({ apiUrl: "" }))],
    ["unreachable", vi.fn(async () => Promise.reject(new TypeError("offline")))],
  ])("is this origin when config.json is %s", async (_, fetch) => {
    vi.stubGlobal("fetch", answer(JSON.stringify({ apiUrl: API })));
    await loadConfig();
    vi.stubGlobal("fetch", fetch);
    await loadConfig();
    expect(apiUrl("v1/jobs")).toBe("/v1/jobs");
    setApiKey("mpr_test_key");
    expect(authHeaders("/v1/jobs")).toEqual({ "X-API-Key": "mpr_test_key" });
    expect(authHeaders(`${API}v1/jobs`)).toEqual({});
  });
});
