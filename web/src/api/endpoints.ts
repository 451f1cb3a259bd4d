/** One function per API call the UI makes. */

import { del, get, post } from "./client";
import { apiUrl } from "./config";
import type { Job, JobPage, JobRequest, Preset, Upload, UploadPurpose, UploadTicket } from "./types";

const enc = encodeURIComponent;

export const createUpload = (file: File, purpose: UploadPurpose = "source") =>
  post<UploadTicket>(apiUrl("v1/uploads"), {
    filename: file.name,
    size: file.size,
    content_type: file.type || "application/octet-stream",
    purpose,
  });
export const getUpload = (id: string) => get<Upload>(apiUrl(`v1/uploads/${enc(id)}`));

export const createJob = (body: JobRequest) => post<Job>(apiUrl("v1/jobs"), body);
export const listJobs = (cursor?: string | null) =>
  get<JobPage>(apiUrl(cursor ? `v1/jobs?cursor=${enc(cursor)}` : "v1/jobs"));
export const getJob = (id: string) => get<Job>(apiUrl(`v1/jobs/${enc(id)}`));
export const cancelJob = (id: string) => del<Job>(apiUrl(`v1/jobs/${enc(id)}`));
export const retryJob = (id: string) => post<Job>(apiUrl(`v1/jobs/${enc(id)}/retry`));

export const listPresets = () => get<Preset[]>(apiUrl("v1/presets"));
export const getPreset = (name: string) => get<Preset>(apiUrl(`v1/presets/${enc(name)}`));
export const createPreset = (preset: Preset) => post<Preset>(apiUrl("v1/presets"), preset);
