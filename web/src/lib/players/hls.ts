/** HLS through hls.js, or natively where Media Source Extensions are missing (iOS Safari). */

import Hls from "hls.js";
import { fromHls, qualitiesFromHls } from "../tracks";
import { CANNOT_PLAY, EMPTY_STATE, LOAD_FAILED, type Engine, type EngineEvents } from "./engine";

export function startHls(video: HTMLVideoElement, src: string, on: EngineEvents): Engine | null {
  if (!Hls.isSupported()) {
    if (video.canPlayType("application/vnd.apple.mpegurl")) video.src = src;
    else on.error("This browser cannot play HLS video.");
    return null;
  }
  const hls = new Hls();
  let playing: number | null = null;
  const report = () =>
    on.state({
      ...EMPTY_STATE,
      audio: fromHls(hls.audioTracks, hls.audioTrack),
      captions: fromHls(hls.subtitleTracks, hls.subtitleTrack),
      qualities: qualitiesFromHls(hls.levels),
      playing,
    });
  hls.on(Hls.Events.LEVEL_SWITCHED, (_e, data) => {
    playing = data.level;
    report();
  });
  for (const event of [
    Hls.Events.MANIFEST_PARSED,
    Hls.Events.AUDIO_TRACKS_UPDATED,
    Hls.Events.AUDIO_TRACK_SWITCHING,
    Hls.Events.AUDIO_TRACK_SWITCHED,
    Hls.Events.SUBTITLE_TRACKS_UPDATED,
    Hls.Events.SUBTITLE_TRACK_SWITCH,
  ] as const) {
    hls.on(event, report);
  }
  hls.on(Hls.Events.ERROR, (_e, data) => {
    if (data.fatal) on.error(data.type === Hls.ErrorTypes.NETWORK_ERROR ? LOAD_FAILED : CANNOT_PLAY);
  });
  hls.loadSource(src);
  hls.attachMedia(video);
  return {
    player: hls,
    selectAudio: (id) => {
      hls.audioTrack = id;
    },
    selectCaptions: (id) => {
      hls.subtitleTrack = id ?? -1;
    },
    selectQuality: (id) => {
      hls.currentLevel = id ?? -1;
    },
    destroy: () => hls.destroy(),
  };
}
