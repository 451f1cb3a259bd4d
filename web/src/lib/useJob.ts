/** A job kept live while it runs: Server-Sent Events, or polling when they do not arrive. */

import { useEffect, useState } from "preact/hooks";
import { getJob } from "../api/endpoints";
import { followJob } from "../api/events";
import { ACTIVE_STATUSES, type Job } from "../api/types";
import { keepLive, type LiveMode } from "./live";

export interface LiveJob {
  job: Job | undefined;
  error: unknown;
  live: LiveMode | null;
  set: (job: Job) => void;
}

export function useJob(id: string): LiveJob {
  const [job, setJob] = useState<Job>();
  const [error, setError] = useState<unknown>(null);
  const [live, setLive] = useState<LiveJob["live"]>(null);
  const active = job ? ACTIVE_STATUSES.includes(job.status) : false;

  useEffect(() => {
    let alive = true;
    getJob(id)
      .then((j) => alive && (setJob(j), setError(null)))
      .catch((err: unknown) => alive && setError(err));
    return () => {
      alive = false;
    };
  }, [id]);

  useEffect(() => {
    if (!active) {
      setLive(null);
      return;
    }
    let alive = true;
    const refresh = () =>
      void getJob(id)
        .then((j) => alive && (setJob(j), setError(null)))
        .catch((err: unknown) => alive && setError(err));
    const stop = keepLive({
      follow: (onJob, signal) => followJob(id, onJob, signal),
      refresh,
      onJob: (j) => alive && setJob(j),
      onMode: setLive,
    });
    return () => {
      alive = false;
      stop();
    };
  }, [id, active]);

  return { job, error, live, set: setJob };
}
