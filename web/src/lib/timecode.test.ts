import { describe, expect, it } from "vitest";
import { formatTime, frameAt, spokenTime, timeOfFrame, trimOf, withIn, withOut } from "./timecode";

describe("frames and times", () => {
  it("maps every frame start back to the same frame at 25 and 29.97 fps", () => {
    for (const fps of [25, 30000 / 1001]) {
      for (let f = 0; f < 500; f += 1) expect(frameAt(timeOfFrame(f, fps), fps)).toBe(f);
    }
  });

  it("formats minutes, seconds and milliseconds", () => {
    expect(formatTime(0)).toBe("0:00.000");
    expect(formatTime(5.28)).toBe("0:05.280");
    expect(formatTime(62.48)).toBe("1:02.480");
    expect(formatTime(3602.5)).toBe("1:00:02.500");
    expect(formatTime(-1)).toBe("0:00.000");
  });

  it("speaks seconds and frame", () => {
    expect(spokenTime(62, 25)).toBe("2.48 seconds, frame 62");
  });
});

describe("trim range", () => {
  const whole = { inFrame: 0, outFrame: 132 };

  it("keeps at least one frame between in and out", () => {
    expect(withIn(whole, 200)).toEqual({ inFrame: 131, outFrame: 132 });
    expect(withOut({ inFrame: 50, outFrame: 132 }, 10, 132)).toEqual({ inFrame: 50, outFrame: 51 });
    expect(withOut(whole, 500, 132)).toEqual(whole);
    expect(withIn(whole, -5)).toEqual(whole);
  });

  it("sends no trim for the whole source and seconds for a range", () => {
    expect(trimOf(whole, 25, 132)).toBeUndefined();
    expect(trimOf({ inFrame: 25, outFrame: 100 }, 25, 132)).toEqual({ start: 1, end: 4 });
    expect(trimOf({ inFrame: 1, outFrame: 2 }, 30000 / 1001, 10)).toEqual({ start: 0.033, end: 0.067 });
  });
});
