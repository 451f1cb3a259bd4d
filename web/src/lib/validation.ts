/** Client-side checks that mirror the API's preset model, so mistakes show before sending. */

import type { Preset, PresetKind, Rendition, ThumbnailSpec } from "../api/types";

export type FieldErrors = Record<string, string>;

/** A segmented ladder of renditions: HLS, or CMAF (HLS and DASH over the same segments). */
export function isLadder(kind: PresetKind): boolean {
  return kind === "hls" || kind === "cmaf";
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const NAME_RULE =
  "Use 1 to 63 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit.";

function checkInt(
  errors: FieldErrors,
  field: string,
  value: number | null | undefined,
  low: number,
  high: number,
  label: string,
  optional = false,
): void {
  if (value == null || Number.isNaN(value)) {
    if (!optional) errors[field] = `${label} is required.`;
  } else if (!Number.isInteger(value)) {
    errors[field] = `${label} must be a whole number.`;
  } else if (value < low || value > high) {
    errors[field] = `${label} must be between ${low} and ${high}.`;
  }
}

function checkNumber(
  errors: FieldErrors,
  field: string,
  value: number | null | undefined,
  low: number,
  high: number,
  label: string,
  lowExclusive = false,
): void {
  if (value == null || Number.isNaN(value)) errors[field] = `${label} is required.`;
  else if ((lowExclusive ? value <= low : value < low) || value > high) {
    errors[field] = lowExclusive
      ? `${label} must be more than ${low} and at most ${high}.`
      : `${label} must be between ${low} and ${high}.`;
  }
}

export function validateName(name: string): string | null {
  if (!name) return "A name is required.";
  return NAME.test(name) ? null : NAME_RULE;
}

/** Errors keyed by field ("name", "height", ...), prefixed with `prefix`. */
export function validateRendition(r: Rendition, prefix = ""): FieldErrors {
  const errors: FieldErrors = {};
  const nameError = validateName(r.name);
  if (nameError) errors[`${prefix}name`] = nameError;
  checkInt(errors, `${prefix}height`, r.height, 16, 4320, "Height");
  checkInt(errors, `${prefix}crf`, r.crf, 0, 51, "CRF", true);
  checkInt(errors, `${prefix}max_bitrate_kbps`, r.max_bitrate_kbps, 50, 100_000, "Maximum bit rate");
  checkInt(errors, `${prefix}audio_bitrate_kbps`, r.audio_bitrate_kbps, 32, 512, "Audio bit rate", true);
  return errors;
}

function validateThumbnails(t: ThumbnailSpec | null | undefined): FieldErrors {
  const errors: FieldErrors = {};
  if (!t) return { thumbnails: "A thumbnails preset needs thumbnail settings." };
  checkNumber(errors, "thumbnails.interval_seconds", t.interval_seconds, 0, 3600, "Thumbnail interval", true);
  checkInt(errors, "thumbnails.width", t.width, 32, 3840, "Thumbnail width");
  checkNumber(errors, "thumbnails.sprite_interval_seconds", t.sprite_interval_seconds, 0, 600, "Sprite interval", true);
  checkInt(errors, "thumbnails.sprite_tile_width", t.sprite_tile_width, 32, 640, "Sprite tile width");
  checkInt(errors, "thumbnails.sprite_columns", t.sprite_columns, 1, 50, "Sprite columns");
  return errors;
}

export function validatePreset(p: Preset): FieldErrors {
  const errors: FieldErrors = {};
  const nameError = validateName(p.name);
  if (nameError) errors.name = nameError;
  if (p.kind === "thumbnails") {
    Object.assign(errors, validateThumbnails(p.thumbnails));
    return errors;
  }
  if (isLadder(p.kind)) {
    checkNumber(errors, "segment_seconds", p.segment_seconds, 1, 30, "Segment length");
  }
  if (p.renditions.length === 0) errors.renditions = `A ${p.kind} preset needs at least one rendition.`;
  if (p.kind === "mp4" && p.renditions.length > 1) errors.renditions = "An mp4 preset has exactly one rendition.";
  const names = p.renditions.map((r) => r.name);
  if (new Set(names).size !== names.length) errors.renditions = "Rendition names must be unique.";
  p.renditions.forEach((r, i) => Object.assign(errors, validateRendition(r, `renditions.${i}.`)));
  return errors;
}
