/** Which outputs of a job can be streamed, and which player plays each manifest. */

import type { Output } from "../api/types";

/** DASH (`.mpd`, played by Shaka Player) or HLS (`.m3u8`, played by hls.js). */
export type Protocol = "dash" | "hls";

export interface Manifest {
  protocol: Protocol;
  url: string;
  path: string;
}

/** One preset's stream: a CMAF output has a DASH and an HLS manifest over the same segments. */
export interface Stream {
  preset: string;
  manifests: Manifest[];
}

/** The protocol a manifest URL speaks, from its file name (query and fragment ignored). */
export function protocolOf(url: string): Protocol | null {
  const path = url.split(/[?#]/, 1)[0].toLowerCase();
  if (path.endsWith(".mpd")) return "dash";
  if (path.endsWith(".m3u8")) return "hls";
  return null;
}

/** The HLS master playlist of a CMAF output sits beside its DASH manifest. */
export const CMAF_MASTER = "master.m3u8";

/** The streams among a job's outputs, one per preset in output order: its top-level
 * manifests (no rendition: a ladder's master playlist; a CMAF output's DASH manifest and
 * the HLS master beside it), else, for a preset with no master, its rendition playlists.
 * Caption playlists are not streams. */
export function streamsOf(outputs: readonly Output[]): Stream[] {
  const playable = outputs.filter((o) => o.kind !== "captions" && o.url && protocolOf(o.path));
  const presets = [...new Set(playable.map((o) => o.preset))];
  return presets.map((preset) => {
    const own = playable.filter((o) => o.preset === preset);
    const masters = own.filter((o) => o.rendition === null);
    const manifests = (masters.length ? masters : own).flatMap(manifestsOf);
    return { preset, manifests: manifests.sort(byProtocol) };
  });
}

function manifestsOf(o: Output): Manifest[] {
  const own = { protocol: protocolOf(o.path)!, url: o.url!, path: o.path };
  if (o.kind !== "cmaf" || own.protocol !== "dash") return [own];
  const master = { protocol: "hls" as const, url: sibling(o.url!, CMAF_MASTER), path: sibling(o.path, CMAF_MASTER) };
  return [own, master];
}

/** `name` in the folder of `url`, as a relative reference resolves (a signed folder URL
 * keeps its token, which is in the path; a query belongs to the file and is dropped). */
function sibling(url: string, name: string): string {
  const path = url.split(/[?#]/, 1)[0];
  return `${path.slice(0, path.lastIndexOf("/") + 1)}${name}`;
}

const ORDER: Record<Protocol, number> = { dash: 0, hls: 1 };

function byProtocol(a: Manifest, b: Manifest): number {
  return ORDER[a.protocol] - ORDER[b.protocol];
}

/** The manifest to start with: DASH where the browser has Media Source Extensions (every
 * desktop browser and Android), else HLS, which Safari on iOS plays natively. */
export function initialManifest(stream: Stream, hasMediaSource: boolean): Manifest {
  const dash = stream.manifests.find((m) => m.protocol === "dash");
  const hls = stream.manifests.find((m) => m.protocol === "hls");
  return (hasMediaSource ? (dash ?? hls) : (hls ?? dash)) ?? stream.manifests[0];
}
