import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Job } from "../api/types";
import { keepLive, type LiveMode, POLL_MS, STREAM_GRACE_MS } from "./live";

const job = { id: "j1", status: "RUNNING" } as Job;

function harness(follow: (onJob: (job: Job) => void, signal: AbortSignal) => Promise<void>) {
  const modes: LiveMode[] = [];
  const jobs: Job[] = [];
  const refresh = vi.fn();
  const stop = keepLive({ follow, refresh, onJob: (j) => jobs.push(j), onMode: (m) => modes.push(m) });
  return { modes, jobs, refresh, stop };
}

/** A stream that never delivers (API Gateway buffering it), until aborted. */
function buffered(signals: AbortSignal[]) {
  return (_: (job: Job) => void, signal: AbortSignal) => {
    signals.push(signal);
    return new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
  };
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("a job kept live", () => {
  it("falls back to polling when the stream delivers nothing within a few seconds", async () => {
    const signals: AbortSignal[] = [];
    const live = harness(buffered(signals));
    expect(live.modes).toEqual(["stream"]);

    await vi.advanceTimersByTimeAsync(STREAM_GRACE_MS - 1);
    expect(live.refresh).not.toHaveBeenCalled();

    await vi.advanceTimersByTimeAsync(1);
    expect(live.modes).toEqual(["stream", "polling"]);
    expect(signals[0]!.aborted).toBe(true);
    expect(live.refresh).toHaveBeenCalledTimes(1);

    await vi.advanceTimersByTimeAsync(3 * POLL_MS);
    expect(live.refresh).toHaveBeenCalledTimes(4);

    live.stop();
    await vi.advanceTimersByTimeAsync(3 * POLL_MS);
    expect(live.refresh).toHaveBeenCalledTimes(4);
  });

  it("keeps the stream that delivers", async () => {
    const live = harness(async (onJob, signal) => {
      onJob(job);
      await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
    });
    await vi.advanceTimersByTimeAsync(STREAM_GRACE_MS * 3);
    expect(live.modes).toEqual(["stream"]);
    expect(live.jobs).toEqual([job]);
    expect(live.refresh).not.toHaveBeenCalled();
    live.stop();
  });

  it("polls at once when the stream fails", async () => {
    const live = harness(async () => Promise.reject(new Error("502")));
    await vi.advanceTimersByTimeAsync(0);
    expect(live.modes).toEqual(["stream", "polling"]);
    expect(live.refresh).toHaveBeenCalledTimes(1);
    live.stop();
  });

  it("reads the job once more when the stream ends with it", async () => {
    const live = harness(async (onJob) => onJob({ ...job, status: "SUCCEEDED" } as Job));
    await vi.advanceTimersByTimeAsync(STREAM_GRACE_MS * 2);
    expect(live.modes).toEqual(["stream"]);
    expect(live.refresh).toHaveBeenCalledTimes(1);
  });
});
