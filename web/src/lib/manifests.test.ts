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

  it("offers both manifests of a CMAF output, DASH first", () => {
    const cmaf = [
      output("hls", "cmaf-ladder", "cmaf-ladder/master.m3u8"),
      output("hls", "cmaf-ladder", "cmaf-ladder/manifest.mpd"),
      output("hls", "cmaf-ladder", "cmaf-ladder/720p/index.m3u8", "720p"),
    ];
    const [stream] = streamsOf(cmaf);
    expect(stream.manifests.map((m) => [m.protocol, m.path])).toEqual([
      ["dash", "cmaf-ladder/manifest.mpd"],
      ["hls", "cmaf-ladder/master.m3u8"],
    ]);
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
      output("hls", "cmaf-ladder", "cmaf-ladder/manifest.mpd"),
    ];
    expect(streamsOf(outputs).map((s) => s.preset)).toEqual(["hls-ladder", "cmaf-ladder"]);
  });
});

describe("initialManifest", () => {
  const both = streamsOf([
    output("hls", "c", "c/master.m3u8"),
    output("hls", "c", "c/manifest.mpd"),
  ])[0];
  const hlsOnly = streamsOf([output("hls", "h", "h/master.m3u8")])[0];
  const dashOnly = streamsOf([output("hls", "d", "d/manifest.mpd")])[0];

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
