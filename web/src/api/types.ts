/** Shapes of the MPR HTTP API (see functions/mpr/api). */

export interface VideoInfo {
  codec: string;
  width: number;
  height: number;
  display_width: number;
  display_height: number;
  rotation: number;
  fps: number;
  frame_rate: string;
  variable_frame_rate: boolean;
  frame_count: number;
  duration: number;
  pix_fmt?: string | null;
  has_b_frames?: boolean;
  keyframe_count?: number;
}

export interface AudioInfo {
  codec: string;
  sample_rate: number;
  channels: number;
  duration: number;
  /** the container's tags */
  language?: string | null;
  title?: string | null;
}

export interface MediaInfo {
  format_name: string;
  size_bytes: number;
  duration: number;
  start_time: number;
  bit_rate: number | null;
  video: VideoInfo;
  /** the first audio track the job carries; `other_audio` the further ones */
  audio: AudioInfo | null;
  other_audio?: AudioInfo[];
}

export interface MultipartTicket {
  part_size: number;
  parts: { part_number: number; url: string }[];
  complete_url: string;
}

export interface UploadTicket {
  upload_id: string;
  url: string;
  method: "PUT";
  headers: Record<string, string>;
  expires_at: string;
  multipart: MultipartTicket | null;
}

export type UploadStatus = "PENDING" | "UPLOADED" | "READY" | "INVALID" | "FAILED";

/** A source to probe, or a caption file (SRT or WebVTT) to check and attach to jobs. */
export type UploadPurpose = "source" | "captions";

export interface Upload {
  upload_id: string;
  filename: string;
  size: number;
  purpose?: UploadPurpose;
  status: UploadStatus;
  parts_received: number[];
  media: MediaInfo | null;
  error: string | null;
  poster_url: string | null;
  sprite_url: string | null;
  sprite_vtt_url: string | null;
  source_url?: string | null;
}

export interface Rendition {
  name: string;
  height: number;
  crf?: number;
  max_bitrate_kbps: number;
  buffer_kbps?: number | null;
  profile?: "baseline" | "main" | "high";
  x264_preset?: string;
  audio_bitrate_kbps?: number;
}

export interface ThumbnailSpec {
  interval_seconds: number;
  width: number;
  sprite_interval_seconds: number;
  sprite_tile_width: number;
  sprite_columns: number;
}

export type PresetKind = "mp4" | "hls" | "cmaf" | "thumbnails";

export interface Preset {
  name: string;
  kind: PresetKind;
  description: string;
  renditions: Rendition[];
  cap_to_source?: boolean;
  segment_seconds?: number;
  thumbnails?: ThumbnailSpec | null;
  builtin?: boolean;
}

export interface Trim {
  start: number;
  end: number | null;
}

export type JobStatus = "QUEUED" | "RUNNING" | "SUCCEEDED" | "FAILED" | "CANCELLED";

export interface QCCheck {
  name: string;
  passed: boolean;
  expected?: number | string | null;
  actual?: number | string | null;
  detail?: string;
}

export interface QCResult {
  passed: boolean;
  checks?: QCCheck[];
}

export type OutputKind = "mp4" | "hls" | "cmaf" | "audio" | "thumbnails" | "sprite" | "captions";

export interface Output {
  preset: string;
  kind: OutputKind;
  rendition: string | null;
  path: string;
  url: string | null;
  width: number | null;
  height: number | null;
  duration: number | null;
  frames: number | null;
  /** peak bit rate of a streaming rendition, bits per second */
  bandwidth?: number | null;
  qc: QCResult | null;
  /** every image of a thumbnails or sprite output, in time order */
  images: string[];
  /** URLs of the other entry points (playlists, manifests) beside `url` */
  files?: string[];
  /** BCP 47 tag and player label of a captions or audio output */
  language?: string | null;
  label?: string | null;
  /** the track players select by default */
  default?: boolean;
  /** captions only for what the audio does not make clear */
  forced?: boolean;
}

export interface Job {
  id: string;
  status: JobStatus;
  stage: string;
  progress: number;
  chunks_total: number;
  chunks_done: number;
  error: string | null;
  created_at: string;
  presets: string[];
  trim: Trim | null;
  media: MediaInfo | null;
  outputs: Output[];
  qc: QCResult | null;
  timings: Record<string, number>;
  events_url?: string | null;
  /** when the signed output URLs stop working; read the job again for fresh ones */
  urls_expire_at?: string | null;
}

export interface JobPage {
  items: Job[];
  next_cursor: string | null;
}

/** A caption file (an upload of purpose "captions") carried with the job's outputs. */
export interface CaptionRequest {
  source: { upload_id: string };
  language: string;
  label?: string;
  default: boolean;
  forced: boolean;
}

export interface JobRequest {
  source: { upload_id: string };
  presets: string[];
  renditions?: Rendition[];
  trim?: Trim;
  captions?: CaptionRequest[];
}

export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail: string;
}

export const ACTIVE_STATUSES: readonly JobStatus[] = ["QUEUED", "RUNNING"];
