import { describe, expect, it } from "vitest";
import type { Upload, UploadStatus, UploadTicket } from "../api/types";
import { isChecked, missingParts, planParts, retryDelayMs } from "./upload";

const base: UploadTicket = {
  upload_id: "u1",
  url: "/v1/uploads/u1/content",
  method: "PUT",
  headers: {},
  expires_at: "2030-01-01T00:00:00Z",
  multipart: null,
};

describe("upload parts", () => {
  it("sends a single PUT as one part covering the file", () => {
    expect(planParts(base, 1000)).toEqual([{ partNumber: 1, url: base.url, start: 0, end: 1000 }]);
  });

  it("cuts multipart uploads at part_size, the last part short", () => {
    const ticket: UploadTicket = {
      ...base,
      multipart: {
        part_size: 400,
        complete_url: "/c",
        parts: [3, 1, 2].map((n) => ({ part_number: n, url: `/p/${n}` })),
      },
    };
    const parts = planParts(ticket, 1000);
    expect(parts.map((p) => [p.partNumber, p.start, p.end])).toEqual([
      [1, 0, 400],
      [2, 400, 800],
      [3, 800, 1000],
    ]);
    expect(missingParts(parts, [1, 3]).map((p) => p.partNumber)).toEqual([2]);
    expect(missingParts(parts, [])).toHaveLength(3);
  });

  it("backs off exponentially up to 8 s", () => {
    expect([1, 2, 3, 4, 5, 9].map(retryDelayMs)).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
  });
});

describe("upload check", () => {
  it("is over once the server says READY, INVALID or FAILED", () => {
    const of = (status: UploadStatus) => ({ status }) as Upload;
    const statuses: UploadStatus[] = ["PENDING", "UPLOADED", "READY", "INVALID", "FAILED"];
    expect(statuses.map((s) => isChecked(of(s)))).toEqual([false, false, true, true, true]);
  });
});
