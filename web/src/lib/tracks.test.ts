import { describe, expect, it } from "vitest";
import {
  activeId,
  defaultCaptions,
  fromHls,
  fromShaka,
  qualitiesFromHls,
  qualitiesFromShaka,
  trackLabel,
} from "./tracks";

describe("track labels", () => {
  it("prefers the manifest's label, trimmed", () => {
    expect(trackLabel("  Director's commentary ", "en", 1)).toBe("Director's commentary");
  });

  it("names the language when there is no label", () => {
    expect(trackLabel(null, "es", 2)).toBe("Spanish");
    expect(trackLabel("", "pt-BR", 1)).toBe("Brazilian Portuguese");
  });

  it("names the language when the label is only its tag", () => {
    expect(trackLabel("es", "es", 2)).toBe("Spanish");
    expect(trackLabel("EN", "en", 1)).toBe("English");
    expect(trackLabel("und", "und", 1)).toBe("und");
  });

  it("numbers a track with neither label nor known language", () => {
    expect(trackLabel(undefined, "und", 3)).toBe("Track 3");
    expect(trackLabel(null, "", 4)).toBe("Track 4");
  });

  it("shows a malformed language tag as it is rather than failing", () => {
    expect(trackLabel(null, "not a tag!", 1)).toBe("not a tag!");
  });
});

describe("hls.js tracks", () => {
  const renditions = [
    { id: 0, name: "English", lang: "en" },
    { id: 1, name: "", lang: "es" },
    { id: 2, name: "audio" },
  ];

  it("keeps hls.js's order, so a menu id is the index hls.js selects by", () => {
    expect(fromHls(renditions, 1)).toEqual([
      { id: 0, label: "English", language: "en", active: false },
      { id: 1, label: "Spanish", language: "es", active: true },
      { id: 2, label: "audio", language: "", active: false },
    ]);
  });

  it("has no active track when hls.js says -1 (captions off)", () => {
    const tracks = fromHls(renditions, -1);
    expect(tracks.some((t) => t.active)).toBe(false);
    expect(activeId(tracks)).toBeNull();
  });

  it("lists levels by index", () => {
    expect(qualitiesFromHls([{ height: 720, bitrate: 3_000_000 }, { height: 360, bitrate: 800_000 }])).toEqual([
      { id: 0, height: 720, bitrate: 3_000_000 },
      { id: 1, height: 360, bitrate: 800_000 },
    ]);
  });
});

describe("Shaka Player tracks", () => {
  it("takes the active flag from Shaka and ids from its list order", () => {
    const tracks = fromShaka([
      { label: null, language: "en", active: false, primary: false },
      { label: "Español", language: "es", active: true, primary: false },
    ]);
    expect(tracks.map((t) => [t.id, t.label, t.active])).toEqual([
      [0, "English", false],
      [1, "Español", true],
    ]);
    expect(activeId(tracks)).toBe(1);
  });

  it("starts with the caption track the manifest marks as main, else with none", () => {
    const track = (language: string, primary: boolean) => ({ label: null, language, active: false, primary });
    expect(defaultCaptions([track("en", false), track("es", true)])).toBe(1);
    expect(defaultCaptions([track("en", false), track("es", false)])).toBeNull();
    expect(defaultCaptions([])).toBeNull();
  });

  it("lists video tracks highest first, each keeping its index in Shaka's list", () => {
    const qualities = qualitiesFromShaka([
      { height: 360, bandwidth: 900_000 },
      { height: 1080, bandwidth: 6_000_000 },
      { height: null, bandwidth: 100_000 },
      { height: 720, bandwidth: 3_000_000 },
    ]);
    expect(qualities.map((q) => [q.id, q.height])).toEqual([
      [1, 1080],
      [3, 720],
      [0, 360],
      [2, 0],
    ]);
  });
});
