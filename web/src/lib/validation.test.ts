import { describe, expect, it } from "vitest";
import type { Preset } from "../api/types";
import { validateName, validatePreset, validateRendition } from "./validation";

const rendition = { name: "540p", height: 540, crf: 22, max_bitrate_kbps: 2000 };

describe("validation mirrors the preset model", () => {
  it("accepts a good rendition and names each bad field", () => {
    expect(validateRendition(rendition)).toEqual({});
    const errors = validateRendition({ name: "Bad Name", height: 8, crf: 60, max_bitrate_kbps: Number.NaN });
    expect(Object.keys(errors).sort()).toEqual(["crf", "height", "max_bitrate_kbps", "name"]);
    expect(errors.height).toBe("Height must be between 16 and 4320.");
    expect(errors.max_bitrate_kbps).toBe("Maximum bit rate is required.");
  });

  it("checks names like the API", () => {
    expect(validateName("hls-ladder.v2_x")).toBeNull();
    expect(validateName("")).toBe("A name is required.");
    expect(validateName("-x")).not.toBeNull();
    expect(validateName("a".repeat(64))).not.toBeNull();
  });

  it("checks the shape of each preset kind", () => {
    const hls: Preset = { name: "p", kind: "hls", description: "", renditions: [], segment_seconds: 4 };
    expect(validatePreset(hls).renditions).toMatch(/at least one rendition/);
    const mp4: Preset = { ...hls, kind: "mp4", renditions: [rendition, { ...rendition, name: "b" }] };
    expect(validatePreset(mp4).renditions).toBe("An mp4 preset has exactly one rendition.");
    const dup: Preset = { ...hls, renditions: [rendition, rendition] };
    expect(validatePreset(dup).renditions).toBe("Rendition names must be unique.");
    const nested: Preset = { ...hls, segment_seconds: 40, renditions: [{ ...rendition, height: 5 }] };
    expect(validatePreset(nested)).toEqual({
      segment_seconds: "Segment length must be between 1 and 30.",
      "renditions.0.height": "Height must be between 16 and 4320.",
    });
    const cmaf: Preset = { ...nested, kind: "cmaf", renditions: [rendition, { ...rendition, name: "b" }] };
    expect(validatePreset(cmaf)).toEqual({ segment_seconds: "Segment length must be between 1 and 30." });
    const thumbs: Preset = { name: "t", kind: "thumbnails", description: "", renditions: [] };
    expect(validatePreset(thumbs)).toEqual({ thumbnails: "A thumbnails preset needs thumbnail settings." });
  });
});
