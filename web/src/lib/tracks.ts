/** The audio, caption and video tracks of hls.js and Shaka Player, as one list shape for
 * the player's menus. Only the fields used here are typed, so the mapping stays testable
 * without either library. */

/** An audio or caption track as a menu lists it; `id` is what the player selects it by. */
export interface MenuTrack {
  id: number;
  label: string;
  language: string;
  active: boolean;
}

/** A video rendition; `id` is what the player selects it by. */
export interface Quality {
  id: number;
  height: number;
  bitrate: number;
}

/** hls.js `MediaPlaylist` (audio or subtitle rendition). */
export interface HlsTrack {
  id: number;
  name: string;
  lang?: string;
}

/** hls.js `Level`. */
export interface HlsLevel {
  height: number;
  bitrate: number;
}

/** Shaka Player `AudioTrack` / `TextTrack`. */
export interface ShakaTrack {
  label: string | null;
  language: string;
  active: boolean;
  /** marked as the main one (DASH `Role` `main`) */
  primary: boolean;
}

/** Shaka Player `VideoTrack`. */
export interface ShakaVideoTrack {
  height: number | null;
  bandwidth: number;
}

/** The name a menu shows: the manifest's label, else (or when the label is just the
 * language tag) the language's name, else "Track N". */
export function trackLabel(label: string | null | undefined, language: string | null | undefined, n: number): string {
  const given = label?.trim() ?? "";
  const tagOnly = !!language && given.toLowerCase() === language.toLowerCase();
  if (given && !tagOnly) return given;
  return (language ? languageName(language) : null) ?? (given || `Track ${n}`);
}

function languageName(tag: string): string | null {
  if (tag === "und") return null;
  try {
    return new Intl.DisplayNames(["en"], { type: "language" }).of(tag) ?? tag;
  } catch {
    return tag; // not a well-formed tag: show it as it is
  }
}

/** hls.js audio or subtitle renditions; `current` is `hls.audioTrack` / `hls.subtitleTrack`
 * (-1: none). hls.js selects by index in its list. */
export function fromHls(tracks: readonly HlsTrack[], current: number): MenuTrack[] {
  return tracks.map((t, i) => ({
    id: i,
    label: trackLabel(t.name, t.lang, i + 1),
    language: t.lang ?? "",
    active: i === current,
  }));
}

/** Shaka Player audio or text tracks; Shaka selects by the track object, found again by index. */
export function fromShaka(tracks: readonly ShakaTrack[]): MenuTrack[] {
  return tracks.map((t, i) => ({
    id: i,
    label: trackLabel(t.label, t.language, i + 1),
    language: t.language,
    active: t.active,
  }));
}

/** The caption track to show from the start, as hls.js does with a `DEFAULT=YES` one: the
 * track the DASH manifest marks as main, if any (its index in Shaka's list). */
export function defaultCaptions(tracks: readonly ShakaTrack[]): number | null {
  const main = tracks.findIndex((t) => t.primary);
  return main >= 0 ? main : null;
}

/** hls.js levels, in its order (its index selects one). */
export function qualitiesFromHls(levels: readonly HlsLevel[]): Quality[] {
  return levels.map((l, i) => ({ id: i, height: l.height, bitrate: l.bitrate }));
}

/** Shaka Player video tracks, highest first (their index in Shaka's list selects one). */
export function qualitiesFromShaka(tracks: readonly ShakaVideoTrack[]): Quality[] {
  return tracks
    .map((t, i) => ({ id: i, height: t.height ?? 0, bitrate: t.bandwidth }))
    .sort((a, b) => b.height - a.height || b.bitrate - a.bitrate);
}

/** The id of the active track, or null when none is (captions off). */
export function activeId(tracks: readonly MenuTrack[]): number | null {
  return tracks.find((t) => t.active)?.id ?? null;
}
