import { useState } from "preact/hooks";
import { cancelJob, getJob, retryJob } from "../api/endpoints";
import { ErrorText, Facts, ProgressBar, StatusBadge } from "../components/common";
import { MediaSummary } from "../components/MediaSummary";
import { Outputs } from "../components/Outputs";
import { formatDate, formatSeconds } from "../lib/format";
import { href } from "../lib/route";
import { useJob } from "../lib/useJob";

/** One job: live progress, stage timings, QC, error and retry, cancel, outputs. */
export function JobPage({ id }: { id: string }) {
  const { job, error, live, set } = useJob(id);
  const [actionError, setActionError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const act = async (action: (id: string) => Promise<unknown>) => {
    setBusy(true);
    setActionError(null);
    try {
      await action(id);
      set(await getJob(id));
    } catch (err) {
      setActionError(err);
    } finally {
      setBusy(false);
    }
  };

  if (!job) {
    return (
      <section>
        <h1>Job</h1>
        {error ? <ErrorText error={error} /> : <p>Loading…</p>}
        <p>
          <a href={href.jobs}>All jobs</a>
        </p>
      </section>
    );
  }

  const running = job.status === "QUEUED" || job.status === "RUNNING";
  const timings = Object.entries(job.timings);
  return (
    <section aria-labelledby="job-title">
      <p>
        <a href={href.jobs}>← All jobs</a>
      </p>
      <h1 id="job-title">
        Job <code class="wrap">{job.id}</code>
      </h1>
      <div class="card" aria-live="polite">
        <div class="job-row-head">
          <StatusBadge status={job.status} />
          <span data-testid="job-stage">Stage: {job.stage}</span>
          {live && <span class="hint">{live === "stream" ? "live" : "refreshing"}</span>}
        </div>
        <ProgressBar value={job.progress} label="Job progress" />
        <Facts
          items={[
            ["Chunks", `${job.chunks_done} of ${job.chunks_total} encoded`],
            ["Presets", job.presets.join(", ") || "custom"],
            ["Trim", job.trim ? `${formatSeconds(job.trim.start)} to ${formatSeconds(job.trim.end)}` : "whole source"],
            ["Created", formatDate(job.created_at)],
            ["Quality check", job.qc ? (job.qc.passed ? "passed" : "failed") : running ? "not yet" : "not run"],
          ]}
        />
        {job.error && (
          <p class="error" role="alert" data-testid="job-error">
            The job failed: {job.error}
          </p>
        )}
        <ErrorText error={error ?? actionError} />
        <div class="actions">
          {running && (
            <button type="button" class="danger" disabled={busy} onClick={() => act(cancelJob)}>
              Cancel job
            </button>
          )}
          {job.status === "FAILED" && (
            <button type="button" class="primary" disabled={busy} onClick={() => act(retryJob)}>
              Retry job
            </button>
          )}
        </div>
      </div>
      {timings.length > 0 && (
        <div class="card">
          <h2>Stage timings</h2>
          <table class="timings">
            <thead>
              <tr>
                <th scope="col">Stage</th>
                <th scope="col">Seconds</th>
              </tr>
            </thead>
            <tbody>
              {timings.map(([stage, seconds]) => (
                <tr key={stage}>
                  <td>{stage}</td>
                  <td>{seconds.toFixed(2)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {job.outputs.length > 0 && <Outputs outputs={job.outputs} />}
      {job.media && (
        <div class="card">
          <h2>Source</h2>
          <MediaSummary media={job.media} />
        </div>
      )}
    </section>
  );
}
