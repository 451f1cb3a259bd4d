import { describe, expect, it } from "vitest";
import { cueAt, parseSpriteVtt, parseVttTime, resolveCueImage } from "./vtt";

const VTT = `WEBVTT

00:00:00.000 --> 00:00:02.000
sprite_000.jpg#xywh=0,0,160,90

00:00:02.000 --> 00:00:04.000
sprite_000.jpg#xywh=160,0,160,90

1
00:04.000 --> 00:05.280
sprite_001.jpg#xywh=0,90,160,90
`;

describe("sprite WebVTT", () => {
  it("parses cue times with and without hours", () => {
    expect(parseVttTime("00:01:02.500")).toBe(62.5);
    expect(parseVttTime("01:02.500")).toBe(62.5);
  });

  it("parses every cue with its tile rectangle", () => {
    const cues = parseSpriteVtt(VTT.replace(/\n/g, "\r\n"));
    expect(cues).toHaveLength(3);
    expect(cues[1]).toEqual({ start: 2, end: 4, image: "sprite_000.jpg", x: 160, y: 0, w: 160, h: 90 });
    expect(cues[2].start).toBe(4);
  });

  it("finds the cue showing a time, the last one past the end", () => {
    const cues = parseSpriteVtt(VTT);
    expect(cueAt(cues, 2.5)?.x).toBe(160);
    expect(cueAt(cues, 99)?.image).toBe("sprite_001.jpg");
    expect(cueAt([], 1)).toBeUndefined();
  });

  it("resolves tiles next to a signed WebVTT URL", () => {
    const vtt = "http://127.0.0.1:8080/v1/uploads/u1/signed/123-abc/sprite.vtt";
    const sprite = "http://127.0.0.1:8080/v1/uploads/u1/signed/123-abc/sprite_000.jpg";
    expect(resolveCueImage("sprite_000.jpg", vtt, sprite)).toBe(sprite);
    expect(resolveCueImage("sprite_001.jpg", vtt, sprite)).toBe(
      "http://127.0.0.1:8080/v1/uploads/u1/signed/123-abc/sprite_001.jpg",
    );
    expect(resolveCueImage("s.jpg", "/p/sprite.vtt?token=t", null)).toBe("/p/s.jpg?token=t");
  });
});
