/** A job kept live: Server-Sent Events while it runs, polling if the stream fails. */

import { useEffect, useState } from "preact/hooks";
import { getJob } from "../api/endpoints";
import { followJob } from "../api/events";
import { ACTIVE_STATUSES, type Job } from "../api/types";

const POLL_MS = 2000;

export interface LiveJob {
  job: Job | undefined;
  error: unknown;
  live: "stream" | "polling" | null;
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
    const abort = new AbortController();
    let timer = 0;
    const refresh = () =>
      getJob(id)
        .then((j) => !abort.signal.aborted && (setJob(j), setError(null)))
        .catch((err: unknown) => !abort.signal.aborted && setError(err));
    setLive("stream");
    followJob(id, (j) => !abort.signal.aborted && setJob(j), abort.signal)
      // the stream ends with the job; read it once more in case the last event was missed
      .then(refresh)
      .catch(() => {
        if (abort.signal.aborted) return;
        setLive("polling");
        timer = window.setInterval(refresh, POLL_MS);
      });
    return () => {
      abort.abort();
      clearInterval(timer);
    };
  }, [id, active]);

  return { job, error, live, set: setJob };
}
