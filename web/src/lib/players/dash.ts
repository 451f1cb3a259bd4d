/** DASH through Shaka Player (its DASH-only build). */

import shaka from "shaka-player/dist/shaka-player.dash-es2021.js";
import { defaultCaptions, fromShaka, qualitiesFromShaka } from "../tracks";
import { CANNOT_PLAY, EMPTY_STATE, LOAD_FAILED, type Engine, type EngineEvents } from "./engine";

const TRACK_EVENTS = ["trackschanged", "variantchanged", "adaptation", "textchanged", "audiotrackchanged"];

export function startDash(video: HTMLVideoElement, src: string, on: EngineEvents): Engine | null {
  shaka.polyfill.installAll();
  if (!shaka.Player.isBrowserSupported()) {
    on.error("This browser cannot play DASH video.");
    return null;
  }
  const player = new shaka.Player();
  const report = () => {
    const tracks = player.getVideoTracks();
    const playing = tracks.findIndex((t) => t.active);
    on.state({
      ...EMPTY_STATE,
      audio: fromShaka(player.getAudioTracks()),
      captions: fromShaka(player.getTextTracks()),
      qualities: qualitiesFromShaka(tracks),
      playing: playing >= 0 ? playing : null,
    });
  };
  let destroyed = false;
  const fail = (error: unknown) => {
    if (destroyed) return; // a load cut short by leaving the page is no error
    const network = error instanceof shaka.util.Error && error.category === shaka.util.Error.Category.NETWORK;
    on.error(network ? LOAD_FAILED : CANNOT_PLAY);
  };
  for (const event of TRACK_EVENTS) player.addEventListener(event, report);
  player.addEventListener("error", (event) => fail((event as Event & { detail?: unknown }).detail));
  const showDefaultCaptions = () => {
    const tracks = player.getTextTracks();
    const main = defaultCaptions(tracks);
    if (main !== null) player.selectTextTrack(tracks[main]);
    report();
  };
  void player
    .attach(video)
    .then(() => player.load(src))
    .then(showDefaultCaptions, fail);
  return {
    player,
    selectAudio: (id) => {
      const track = player.getAudioTracks()[id];
      if (track) player.selectAudioTrack(track);
    },
    selectCaptions: (id) => {
      player.selectTextTrack(id === null ? null : (player.getTextTracks()[id] ?? null));
    },
    selectQuality: (id) => {
      const track = id === null ? undefined : player.getVideoTracks()[id];
      player.configure({ abr: { enabled: track === undefined } });
      if (track) player.selectVideoTrack(track, true);
    },
    destroy: () => {
      destroyed = true;
      void player.destroy();
    },
  };
}
