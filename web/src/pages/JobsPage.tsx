import { useEffect, useState } from "preact/hooks";
import { listJobs } from "../api/endpoints";
import { ACTIVE_STATUSES, type Job } from "../api/types";
import { ErrorText, ProgressBar, StatusBadge } from "../components/common";
import { formatDate } from "../lib/format";
import { href } from "../lib/route";

const REFRESH_MS = 3000;

/** Every job, newest first; refreshes while any is still running. */
export function JobsPage() {
  const [jobs, setJobs] = useState<Job[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loaded, setLoaded] = useState(false);

  const loadFirst = () =>
    listJobs()
      .then((page) => {
        setJobs((old) => mergeFirstPage(page.items, old));
        setCursor((old) => (loaded ? old : page.next_cursor));
        setError(null);
      })
      .catch(setError)
      .finally(() => setLoaded(true));

  useEffect(() => {
    void loadFirst();
  }, []);

  const active = jobs.some((j) => ACTIVE_STATUSES.includes(j.status));
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(loadFirst, REFRESH_MS);
    return () => clearInterval(timer);
  });

  const loadMore = async () => {
    try {
      const page = await listJobs(cursor);
      setJobs((old) => [...old, ...page.items.filter((j) => !old.some((o) => o.id === j.id))]);
      setCursor(page.next_cursor);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section aria-labelledby="jobs-title">
      <h1 id="jobs-title">Jobs</h1>
      <ErrorText error={error} />
      {loaded && !jobs.length && !error && (
        <p>
          No jobs yet. <a href={href.upload}>Upload a video</a> to start one.
        </p>
      )}
      <ul class="job-list">
        {jobs.map((job) => (
          <li key={job.id} class="card job-row">
            <div class="job-row-head">
              <a href={href.job(job.id)} class="job-link">
                {job.media ? `${job.media.video.display_width}×${job.media.video.display_height}` : "Job"}{" "}
                <code>{job.id.slice(0, 12)}</code>
              </a>
              <StatusBadge status={job.status} />
            </div>
            <p class="hint">
              {job.presets.join(", ") || "custom"} · stage {job.stage} · {formatDate(job.created_at)}
            </p>
            <ProgressBar value={job.progress} label={`Progress of job ${job.id}`} />
            {job.error && <p class="error">{job.error}</p>}
          </li>
        ))}
      </ul>
      {cursor && (
        <button type="button" onClick={loadMore}>
          Load more jobs
        </button>
      )}
    </section>
  );
}

/** Replace the jobs of the first page in place, keep the older ones loaded with "more". */
function mergeFirstPage(first: Job[], old: Job[]): Job[] {
  const ids = new Set(first.map((j) => j.id));
  return [...first, ...old.filter((j) => !ids.has(j.id))];
}
