import { describe, expect, it } from "vitest";
import type { Output } from "../api/types";
import { initialManifest, protocolOf, streamsOf } from "./manifests";

function output(kind: Output["kind"], preset: string, path: string, rendition: string | null = null): Output {
  const url = `https://api.example/v1/jobs/j/signed/t/${path}`;
  const base = { width: null, height: null, duration: null, frames: null, qc: null, images: [] };
  return { ...base, kind, preset, path, rendition, url };
}

describe("protocolOf", () => {
  it("tells DASH from HLS by the file name, ignoring query and fragment", () => {
    expect(protocolOf("a/manifest.mpd")).toBe("dash");
    expect(protocolOf("https://x/a/MANIFEST.MPD?X-Amz-Signature=abc")).toBe("dash");
    expect(protocolOf("https://x/a/master.m3u8#t=2")).toBe("hls");
    expect(protocolOf("a/video.mp4")).toBeNull();
    expect(protocolOf("https://x/a.mp4?name=b.m3u8")).toBeNull();
  });
});

describe("streamsOf", () => {
  const ladder = [
    output("hls", "hls-ladder", "hls-ladder/master.m3u8"),
    output("hls", "hls-ladder", "hls-ladder/720p/index.m3u8", "720p"),
    output("hls", "hls-ladder", "hls-ladder/360p/index.m3u8", "360p"),
    output("captions", "hls-ladder", "hls-ladder/_captions/en/index.m3u8"),
  ];

  it("plays a ladder by its master playlist, never by a caption playlist", () => {
    expect(streamsOf(ladder)).toEqual([
      { preset: "hls-ladder", manifests: [{ protocol: "hls", path: "hls-ladder/master.m3u8", url: ladder[0].url }] },
    ]);
  });

  it("offers both manifests of a CMAF output, DASH first: its MPD and the master beside it", () => {
    const cmaf = [
      output("cmaf", "cmaf-ladder", "cmaf-ladder/manifest.mpd"),
      output("cmaf", "cmaf-ladder", "cmaf-ladder/720p/index.m3u8", "720p"),
      output("captions", "cmaf-ladder", "cmaf-ladder/_captions/en/index.m3u8"),
    ];
    const [stream] = streamsOf(cmaf);
    expect(stream.manifests).toEqual([
      { protocol: "dash", path: "cmaf-ladder/manifest.mpd", url: cmaf[0].url },
      {
        protocol: "hls",
        path: "cmaf-ladder/master.m3u8",
        url: "https://api.example/v1/jobs/j/signed/t/cmaf-ladder/master.m3u8",
      },
    ]);
  });

  it("finds the master beside a CMAF manifest whose URL has a query", () => {
    const signed = { ...output("cmaf", "c", "c/manifest.mpd"), url: "https://cdn.example/o/c/manifest.mpd?sig=1" };
    expect(streamsOf([signed])[0].manifests[1].url).toBe("https://cdn.example/o/c/master.m3u8");
  });

  it("falls back to the rendition playlists of a preset without a master", () => {
    const single = [output("hls", "custom", "custom/540p/index.m3u8", "540p")];
    expect(streamsOf(single)[0].manifests.map((m) => m.path)).toEqual(["custom/540p/index.m3u8"]);
  });

  it("lists one stream per preset, in output order, and nothing for files or unsigned outputs", () => {
    const outputs = [
      output("mp4", "mp4-720p", "mp4-720p/720p.mp4", "720p"),
      output("sprite", "thumbnails", "thumbnails/sprite.vtt"),
      { ...output("hls", "pending", "pending/master.m3u8"), url: null },
      ...ladder,
      output("cmaf", "cmaf-ladder", "cmaf-ladder/manifest.mpd"),
    ];
    expect(streamsOf(outputs).map((s) => s.preset)).toEqual(["hls-ladder", "cmaf-ladder"]);
  });
});

describe("initialManifest", () => {
  const both = streamsOf([output("cmaf", "c", "c/manifest.mpd")])[0];
  const hlsOnly = streamsOf([output("hls", "h", "h/master.m3u8")])[0];
  const dashOnly = { preset: "d", manifests: [{ protocol: "dash" as const, url: "d/manifest.mpd", path: "d/manifest.mpd" }] };

  it("starts with DASH where Media Source Extensions exist", () => {
    expect(initialManifest(both, true).protocol).toBe("dash");
  });

  it("starts with HLS without them (native HLS, as in iOS Safari)", () => {
    expect(initialManifest(both, false).protocol).toBe("hls");
  });

  it("takes the only manifest there is", () => {
    expect(initialManifest(hlsOnly, true).protocol).toBe("hls");
    expect(initialManifest(dashOnly, false).protocol).toBe("dash");
  });
});
