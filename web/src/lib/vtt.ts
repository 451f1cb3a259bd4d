/** Sprite WebVTT: cues whose payload is "sprite.jpg#xywh=x,y,w,h". */

export interface SpriteCue {
  start: number;
  end: number;
  image: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

const CUE_TIME = /^((?:\d+:)?\d{1,2}:\d{2}\.\d{3})\s+-->\s+((?:\d+:)?\d{1,2}:\d{2}\.\d{3})/;
const XYWH = /^(.*)#xywh=(\d+),(\d+),(\d+),(\d+)$/;

export function parseVttTime(text: string): number {
  const parts = text.split(":").map(Number);
  return parts.reduce((total, part) => total * 60 + part, 0);
}

export function parseSpriteVtt(text: string): SpriteCue[] {
  const cues: SpriteCue[] = [];
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  for (let i = 0; i < lines.length; i += 1) {
    const time = CUE_TIME.exec(lines[i].trim());
    if (!time) continue;
    const payload = XYWH.exec((lines[i + 1] ?? "").trim());
    if (!payload) continue;
    cues.push({
      start: parseVttTime(time[1]),
      end: parseVttTime(time[2]),
      image: payload[1],
      x: Number(payload[2]),
      y: Number(payload[3]),
      w: Number(payload[4]),
      h: Number(payload[5]),
    });
  }
  return cues;
}

export function cueAt(cues: SpriteCue[], seconds: number): SpriteCue | undefined {
  return cues.find((c) => seconds >= c.start && seconds < c.end) ?? cues[cues.length - 1];
}

/**
 * Where a cue's image lives. A relative reference resolves against the WebVTT URL; when it
 * names the same file as `spriteUrl` (which carries its own signed token) that URL is used.
 */
export function resolveCueImage(image: string, vttUrl: string, spriteUrl: string | null): string {
  const base = new URL(vttUrl, "http://origin.invalid/");
  const resolved = new URL(image, base);
  if (spriteUrl) {
    const sprite = new URL(spriteUrl, base);
    if (sprite.pathname === resolved.pathname || lastSegment(sprite) === lastSegment(resolved)) {
      return spriteUrl;
    }
  }
  if (!resolved.search) resolved.search = base.search;
  return resolved.origin === "http://origin.invalid"
    ? resolved.pathname + resolved.search
    : resolved.href;
}

function lastSegment(url: URL): string {
  return url.pathname.slice(url.pathname.lastIndexOf("/") + 1);
}
