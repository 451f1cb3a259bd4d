import { describe, expect, it } from "vitest";
import type { Upload } from "../api/types";
import { type CaptionEntry, captionRequests, isCaptionFile, languageProblem, validateCaptions } from "./captions";

const READY: Upload = {
  upload_id: "c1",
  filename: "talk.srt",
  size: 40,
  purpose: "captions",
  status: "READY",
  parts_received: [],
  media: null,
  error: null,
  poster_url: null,
  sprite_url: null,
  sprite_vtt_url: null,
};

function entry(change: Partial<CaptionEntry> = {}): CaptionEntry {
  return {
    key: 1,
    file: new File(["x"], "talk.srt"),
    state: { step: "ready", upload: READY },
    language: "fr",
    label: "",
    default: false,
    forced: false,
    ...change,
  };
}

describe("caption language", () => {
  it("accepts BCP 47 tags the API accepts", () => {
    for (const tag of ["en", "pt-BR", "zh-Hant-TW", "en-US-x-foo", "sgn-BE-FR", "i-klingon", "x-foo"]) {
      expect(languageProblem(tag), tag).toBeNull();
    }
  });

  it("refuses what cannot be a tag, in the API's words", () => {
    expect(languageProblem("en_US")).toBe("language 'en_US' is not a BCP 47 language tag (e.g. 'en', 'pt-BR')");
    for (const tag of ["english", "abcde", "en-", "-en", "e", "en US"]) {
      expect(languageProblem(tag), tag).toMatch(/is not a BCP 47 language tag/);
    }
    expect(languageProblem("")).toMatch(/required/);
  });
});

describe("caption files", () => {
  it("takes .srt and .vtt files only", () => {
    expect(["a.srt", "B.VTT", "x.en.vtt"].map(isCaptionFile)).toEqual([true, true, true]);
    expect(["a.txt", "srt", "a.srt.zip"].map(isCaptionFile)).toEqual([false, false, false]);
  });

  it("blocks submit while a file is checked, invalid or failed, naming the reason", () => {
    const errors = validateCaptions([
      entry(),
      entry({ key: 2, state: { step: "sending" } }),
      entry({ key: 3, state: { step: "invalid", message: "x.srt line 2: cue ends at 00:00:02.000" } }),
      entry({ key: 4, language: "english" }),
    ]);
    expect(Object.keys(errors).sort()).toEqual(["captions.1.source", "captions.2.source", "captions.3.language"]);
    expect(errors["captions.2.source"]).toBe("x.srt line 2: cue ends at 00:00:02.000");
    expect(validateCaptions([entry(), entry({ key: 2, language: " pt-BR " })])).toEqual({});
  });

  it("sends each ready file by its upload id, with its options", () => {
    expect(
      captionRequests([entry({ label: " Français ", default: true }), entry({ key: 2, language: "de ", forced: true })]),
    ).toEqual([
      { source: { upload_id: "c1" }, language: "fr", label: "Français", default: true, forced: false },
      { source: { upload_id: "c1" }, language: "de", default: false, forced: true },
    ]);
  });
});
