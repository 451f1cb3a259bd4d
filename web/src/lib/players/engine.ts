/** What the player component needs from a streaming library: its tracks, and switching them. */

import type { MenuTrack, Quality } from "../tracks";

export interface PlayerState {
  audio: MenuTrack[];
  captions: MenuTrack[];
  qualities: Quality[];
  /** the rendition playing now (an id of `qualities`), null before the first one */
  playing: number | null;
}

export const EMPTY_STATE: PlayerState = { audio: [], captions: [], qualities: [], playing: null };

export interface Engine {
  /** the library's own player (`Hls` or `shaka.Player`), for scripts that inspect playback */
  readonly player: unknown;
  selectAudio(id: number): void;
  /** null turns captions off */
  selectCaptions(id: number | null): void;
  /** null lets the player choose the rendition by bandwidth */
  selectQuality(id: number | null): void;
  destroy(): void;
}

export interface EngineEvents {
  state(state: PlayerState): void;
  /** a fatal error, in plain words */
  error(message: string): void;
}

export const LOAD_FAILED = "The video could not be loaded from the server. Reload the page to try again.";
export const CANNOT_PLAY = "The video could not be played in this browser.";
