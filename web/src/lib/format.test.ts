import { describe, expect, it } from "vitest";
import { formatAudioTrack } from "./format";

describe("formatAudioTrack", () => {
  const aac = { codec: "aac", sample_rate: 48000, channels: 2, duration: 5 };

  it("gives codec, rate and channels of an untagged track", () => {
    expect(formatAudioTrack(aac)).toBe("aac, 48000 Hz, 2 ch");
    expect(formatAudioTrack({ ...aac, language: "und", title: null })).toBe("aac, 48000 Hz, 2 ch");
  });

  it("adds the language and title tags", () => {
    expect(formatAudioTrack({ ...aac, language: "spa", title: "Español" })).toBe(
      "aac, 48000 Hz, 2 ch (spa, Español)",
    );
    expect(formatAudioTrack({ ...aac, language: "eng" })).toBe("aac, 48000 Hz, 2 ch (eng)");
  });
});
