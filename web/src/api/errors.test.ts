import { describe, expect, it } from "vitest";
import { ApiError, describeError, NetworkError, parseFieldMessages, plainMessage } from "./errors";

describe("errors in plain words", () => {
  it("adds the server's detail to a sentence for the status", () => {
    const problem = { title: "Unprocessable Content", status: 422, detail: "unknown preset 'x'" };
    expect(plainMessage(422, problem)).toBe("The server could not accept the request. Unknown preset 'x'.");
    expect(plainMessage(401, { ...problem, status: 401, detail: "invalid or revoked API key" })).toBe(
      "The API key is missing or was not accepted. Enter a valid API key.",
    );
    expect(plainMessage(502, null)).toBe("The server had a problem (error 502). Try again later.");
  });

  it("splits validation details into field messages", () => {
    const err = new ApiError(422, {
      title: "Unprocessable Content",
      status: 422,
      detail: "renditions.0.height: Input should be greater than or equal to 16; name: String should match pattern",
    });
    expect(err.fieldMessages()).toEqual({
      "renditions.0.height": "Input should be greater than or equal to 16",
      name: "String should match pattern",
    });
    expect(parseFieldMessages("no fields here")).toEqual({});
  });

  it("describes anything thrown", () => {
    expect(describeError(new NetworkError())).toMatch(/Cannot reach the MPR server/);
    expect(describeError("?")).toBe("Something went wrong. Try again.");
  });
});
