/** One function per API call the UI makes. */

import { del, get, post } from "./client";
import type { Job, JobPage, JobRequest, Preset, Upload, UploadTicket } from "./types";

const enc = encodeURIComponent;

export const createUpload = (file: File) =>
  post<UploadTicket>("/v1/uploads", {
    filename: file.name,
    size: file.size,
    content_type: file.type || "application/octet-stream",
  });
export const getUpload = (id: string) => get<Upload>(`/v1/uploads/${enc(id)}`);

export const createJob = (body: JobRequest) => post<Job>("/v1/jobs", body);
export const listJobs = (cursor?: string | null) =>
  get<JobPage>(cursor ? `/v1/jobs?cursor=${enc(cursor)}` : "/v1/jobs");
export const getJob = (id: string) => get<Job>(`/v1/jobs/${enc(id)}`);
export const cancelJob = (id: string) => del<Job>(`/v1/jobs/${enc(id)}`);
export const retryJob = (id: string) => post<Job>(`/v1/jobs/${enc(id)}/retry`);

export const listPresets = () => get<Preset[]>("/v1/presets");
export const getPreset = (name: string) => get<Preset>(`/v1/presets/${enc(name)}`);
export const createPreset = (preset: Preset) => post<Preset>("/v1/presets", preset);
